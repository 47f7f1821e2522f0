"""The prober: after every stage, probes on frozen features of every layer.

    prober = Prober(spec.probe, stream, learner, device, cache_dir=run_dir / "features")
    evaluate(..., on_hidden=prober.on_hidden)   # optional: test features from the eval pass
    prober.observe(-1)                          # the model before fine-tuning: baseline P0
    for stage ...: train; evaluate(..., on_hidden=prober.on_hidden); prober.observe(stage)
    prober.results(R)                           # ProbingResults (P, P0, gaps, CKA, geometry)
    prober.score_rows()                         # rows for scores.csv, with a layer column

At stage i the probes are fit on the training subsample (`train_per_class` per class) of
tasks 0..i and scored on each seen task's test examples: on all seen classes together
(class-incremental) or within each task's classes (task-incremental). The baseline P0 fits
the same probes on the untrained model's features for every stage's class set; those
features are extracted once, at `observe(-1)`. CKA compares each layer after stage i with
the same layer after stage i-1 (stage 0: before fine-tuning) on task 0's test examples,
a fixed set seen at every stage. Separability and overlap use the test features of the last
probed layer.
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from forgetlab.errors import ForgetlabError, SpecError
from forgetlab.probing.cka import linear_cka
from forgetlab.probing.features import (
    FeatureBlock,
    FeatureCache,
    FeatureExtractor,
    concat_blocks,
    fingerprint,
    resolve_layers,
)
from forgetlab.probing.geometry import overlap, separability
from forgetlab.probing.probes import build_probe
from forgetlab.probing.schema import Matrix, ProbeKindResults, ProbingResults
from forgetlab.probing.spec import ProbeSpec

STATE_VERSION = 1


def finite_or_none(x: float | None) -> float | None:
    """JSON-safe float: NaN and infinities become None."""
    return None if x is None or not math.isfinite(x) else float(x)


def stage_tag(stage: int) -> str:
    return "initial" if stage < 0 else f"stage_{stage:03d}"


def _subsample(examples, per_class: int | None, rng: random.Random) -> np.ndarray:
    """Uids of at most `per_class` examples of each class, in data order."""
    by_class: dict[int, list[int]] = defaultdict(list)
    for ex in examples:
        by_class[ex.label].append(ex.uid)
    keep: set[int] = set()
    for label in sorted(by_class):
        uids = by_class[label]
        keep.update(
            uids if per_class is None or len(uids) <= per_class else rng.sample(uids, per_class)
        )
    return np.array([ex.uid for ex in examples if ex.uid in keep], dtype=np.int64)


class Prober:
    """Probing of one learner through one stream (see the module docstring)."""

    def __init__(
        self,
        spec: ProbeSpec | None,
        stream,
        learner,
        device=None,
        cache_dir: Path | None = None,
    ) -> None:
        self.spec = spec = spec if spec is not None else ProbeSpec()
        self.stream = stream
        self.learner = learner
        self.device = device
        self.layers = resolve_layers(spec.layers, learner.backbone)
        if learner.mode == "text_to_text" and spec.pooling == "cls":
            raise SpecError(
                "probe.pooling: 'cls' would read only the first token of a causal LM; "
                "use 'mean' or 'last'"
            )
        self.kinds = list(spec.probes)
        self.primary = "linear" if "linear" in self.kinds else self.kinds[0]
        self.extractor = FeatureExtractor(learner, self.layers, spec.pooling, spec.batch_size)
        signature = f"pooling={spec.pooling};mode={learner.mode}"
        self.cache = FeatureCache(cache_dir, signature, spec.feature_dtype)
        tasks = stream.tasks
        self.train_uids = [
            _subsample(t.train, spec.train_per_class, random.Random(spec.seed * 1_000_003 + i))
            for i, t in enumerate(tasks)
        ]
        self.test_uids = [
            _subsample(t.test, spec.test_per_class, random.Random(spec.seed * 1_000_003 - i - 1))
            for i, t in enumerate(tasks)
        ]
        self._examples = {ex.uid: ex for t in tasks for ex in (*t.train, *t.test)}
        self._pending: dict[int, list[FeatureBlock]] = defaultdict(list)
        self._pending_s = 0.0
        self.eval_blocks = 0  # test blocks taken from the evaluation pass (no extra forward)
        self.records_: dict[int, dict] = {}
        self.baseline_: dict | None = None
        self.tags_: dict[int, str] = {}  # stage -> cache tag of its features
        self.fingerprints_: dict[int, str] = {}  # stage -> backbone fingerprint

    # ---- features -------------------------------------------------------------------
    def on_hidden(self, task: int, batch, hidden_states) -> None:
        """Callback for `evaluate(..., on_hidden=...)`: keep the pooled test features of the
        evaluation forward, used by the next `observe` instead of a second forward."""
        t0 = time.perf_counter()
        block = self.extractor.from_hidden(batch, hidden_states)
        if block is not None:
            keep = np.isin(block.uids, self.test_uids[task])
            if keep.any():
                self._pending[task].append(block.take(block.uids[keep]))
        self._pending_s += time.perf_counter() - t0

    def needs_hidden(self) -> bool:
        """Whether the next evaluation pass should hand over hidden states (`on_hidden`):
        not when the backbone is unchanged since the last observed stage (features cached),
        so an evaluation that reuses a frozen backbone's features can skip its forward."""
        if not self.fingerprints_:
            return True
        return fingerprint(self.learner.backbone) != self.fingerprints_[max(self.fingerprints_)]

    def _absorb_pending(self, tag: str, tasks: list[int]) -> None:
        for t in tasks:
            if not self._pending.get(t):
                continue
            if self.cache.get((tag, t, "test"), self.test_uids[t], self.layers) is not None:
                continue  # an unchanged backbone: these features are cached already
            block = concat_blocks(self._pending[t])
            if set(self.test_uids[t].tolist()) <= set(block.uids.tolist()):
                self.cache.put((tag, t, "test"), block.take(self.test_uids[t]))
                self.eval_blocks += 1
        self._pending.clear()

    def blocks(self, tag: str, tasks: list[int], split: str) -> dict[int, FeatureBlock]:
        """Features of the probe subsets of `split` of `tasks` for the model called `tag`
        (the learner as it is now for those not cached yet: extracted in one pass)."""
        uids = self.train_uids if split == "train" else self.test_uids
        found = self.cache.fetch_many(
            [((tag, t, split), uids[t]) for t in tasks],
            lambda wanted: self.extractor.extract([self._examples[int(u)] for u in wanted]),
            self.layers,
        )
        return dict(zip(tasks, found))

    def block(self, tag: str, task: int, split: str) -> FeatureBlock:
        return self.blocks(tag, [task], split)[task]

    # ---- measurements ---------------------------------------------------------------
    def accuracies(self, tag: str, stage: int) -> dict[str, Matrix]:
        """kind -> [layer][task] accuracy of probes fit on the classes seen after `stage`
        (tasks 0..stage); null for unseen tasks."""
        T = len(self.stream.tasks)
        seen = list(range(stage + 1))
        train = self.blocks(tag, seen, "train")
        test = self.blocks(tag, seen, "test")
        per_task = self.stream.scenario == "task_incremental"
        groups = [[t] for t in seen] if per_task else [seen]
        out: dict[str, Matrix] = {k: [[None] * T for _ in self.layers] for k in self.kinds}
        for li, layer in enumerate(self.layers):
            for group in groups:
                X = np.concatenate([train[t].layer(layer) for t in group])
                y = np.concatenate([train[t].labels for t in group])
                for kind in self.kinds:
                    probe = build_probe(kind).fit(X, y)
                    for t in group:
                        hits = probe.predict(test[t].layer(layer)) == test[t].labels
                        out[kind][li][t] = float(hits.mean())
        return out

    def geometry(self, tag: str, stage: int) -> tuple[list[float | None], float | None]:
        """(separability per task seen after `stage`, overlap of its new task with the old)."""
        T, last = len(self.stream.tasks), self.layers[-1]
        test = self.blocks(tag, list(range(stage + 1)), "test")
        sep: list[float | None] = [None] * T
        for t, b in test.items():
            sep[t] = finite_or_none(separability(b.layer(last), b.labels))
        ov = None
        if stage > 0:
            old = concat_blocks([test[t] for t in range(stage)])
            new = test[stage]
            ov = finite_or_none(overlap(old.layer(last), old.labels, new.layer(last), new.labels))
        return sep, ov

    def cka(self, tag: str, previous: str) -> list[float | None]:
        """Per layer: linear CKA of task 0's test features under `tag` vs `previous`."""
        before = self.cache.get((previous, 0, "test"), self.test_uids[0], self.layers)
        if before is None:
            return [None] * len(self.layers)
        after = self.block(tag, 0, "test")
        return [finite_or_none(linear_cka(before.layer(k), after.layer(k))) for k in self.layers]

    def _tag_of(self, stage: int) -> str:
        """The cache tag of the model after `stage`: the previous stage's when the backbone
        did not change in between (a frozen backbone: SEQ*, head-only), else its own."""
        fp = fingerprint(self.learner.backbone)
        prev = self.fingerprints_.get(stage - 1)
        self.fingerprints_[stage] = fp
        self.tags_[stage] = self.tags_[stage - 1] if prev == fp else stage_tag(stage)
        return self.tags_[stage]

    def observe(self, stage: int) -> None:
        """Probe the learner as it is after training stage `stage` (-1: before any)."""
        t0 = time.perf_counter()
        tag, T = self._tag_of(stage), len(self.stream.tasks)
        seen = list(range(T if stage < 0 else stage + 1))
        self._absorb_pending(tag, seen)
        for split in ("test", "train"):  # the missing blocks of a split: one pass
            self.blocks(tag, seen, split)
        if stage < 0:
            per_stage = [self.accuracies(tag, s) for s in range(T)]
            geo = [self.geometry(tag, s) for s in range(T)] if self.spec.geometry else []
            self.baseline_ = {
                "accuracy": {k: [a[k] for a in per_stage] for k in self.kinds},
                "separability": geo[-1][0] if geo else [None] * T,
                "overlap": [g[1] for g in geo] if geo else [None] * T,
            }
        else:
            sep, ov = self.geometry(tag, stage) if self.spec.geometry else ([None] * T, None)
            before = self.tags_.get(stage - 1, stage_tag(stage - 1))
            cka = self.cka(tag, before) if self.spec.cka else [None] * len(self.layers)
            self.records_[stage] = {
                "accuracy": self.accuracies(tag, stage),
                "cka": cka,
                "separability": sep,
                "overlap": ov,
            }
        # Only this stage's features stay (the next stage's CKA); older ones are not needed.
        self.cache.drop({tag}, disk=not self.spec.keep_features)
        seconds = time.perf_counter() - t0 + self._pending_s
        self._pending_s = 0.0
        (self.baseline_ if stage < 0 else self.records_[stage])["seconds"] = seconds

    # ---- results --------------------------------------------------------------------
    def _matrix(self, rows: list, layer: int) -> Matrix:
        return [list(r[layer]) if r is not None else [None] * len(self.stream.tasks) for r in rows]

    def results(self, R: list[list[float]] | None = None) -> ProbingResults:
        """P, P0 and the gaps for every probe kind. `R` (the model's own accuracy matrix, rows
        = stages) gives `gap_vs_model`; without it that field is None."""
        T, last = len(self.stream.tasks), len(self.layers) - 1
        n = max(self.records_) + 1 if self.records_ else 0
        recs = [self.records_.get(i) for i in range(n)]
        base = self.baseline_ or {"accuracy": {k: [None] * T for k in self.kinds}}
        by_probe = {}
        for kind in self.kinds:
            layer_acc = [r["accuracy"][kind] if r else None for r in recs]
            P = self._matrix(layer_acc, last)
            best = [best_layer_index(a) for a in layer_acc]
            best_P = [
                self._matrix([a], b)[0] if b is not None else [None] * T
                for a, b in zip(layer_acc, best)
            ]
            base_acc = base["accuracy"][kind][:n]  # the same rows as P
            P0 = self._matrix(base_acc, last)
            by_probe[kind] = ProbeKindResults(
                accuracy_matrix=P,
                best_layer_accuracy_matrix=best_P,
                best_layer=[self.layers[b] if b is not None else None for b in best],
                layer_accuracy=[a if a else [[None] * T for _ in self.layers] for a in layer_acc],
                baseline_accuracy_matrix=P0,
                baseline_layer_accuracy=[
                    a if a else [[None] * T for _ in self.layers] for a in base_acc
                ],
                gap_vs_model=_gap(P, R) if R is not None else None,
                gap_vs_baseline=_gap(P, P0),
            )
        main = by_probe[self.primary]
        return ProbingResults(
            layers=self.layers,
            pooling=self.spec.pooling,
            probes=self.kinds,
            accuracy_matrix=main.accuracy_matrix,
            best_layer_accuracy_matrix=main.best_layer_accuracy_matrix,
            by_probe=by_probe,
            cka=[r["cka"] if r else [None] * len(self.layers) for r in recs],
            separability=[r["separability"] if r else [None] * T for r in recs],
            overlap=[r["overlap"] if r else None for r in recs],
            baseline_separability=base.get("separability", [None] * T),
            baseline_overlap=base.get("overlap", [None] * T)[:n],
            seconds=[r["seconds"] if r else None for r in recs],
            baseline_seconds=base.get("seconds"),
        )

    def score_rows(self) -> list[tuple]:
        """(stage, task, metric, value, layer) rows: `probe_acc` (the primary probe),
        `probe_acc_<kind>`, `probe0_acc_<kind>` (baseline, with that stage's class set) for
        every layer; `cka` per layer; `separability` and `overlap` at the last layer."""
        names, last = self.stream.task_names, self.layers[-1]
        rows: list[tuple] = []

        def acc_rows(stage: int, metric: str, acc: Matrix) -> None:
            for li, layer in enumerate(self.layers):
                rows.extend(
                    (stage, names[t], metric, v, layer)
                    for t, v in enumerate(acc[li])
                    if v is not None
                )

        base = self.baseline_["accuracy"] if self.baseline_ else {}
        stages = set(self.records_) | (set(range(len(names))) if base else set())
        for stage in sorted(stages):
            rec = self.records_.get(stage)
            if rec:
                acc_rows(stage, "probe_acc", rec["accuracy"][self.primary])
                for kind in self.kinds:
                    acc_rows(stage, f"probe_acc_{kind}", rec["accuracy"][kind])
            for kind in base:
                acc_rows(stage, f"probe0_acc_{kind}", base[kind][stage])
            if rec:
                rows.extend(
                    (stage, "", "cka", v, k)
                    for k, v in zip(self.layers, rec["cka"])
                    if v is not None
                )
                rows.extend(
                    (stage, names[t], "separability", v, last)
                    for t, v in enumerate(rec["separability"])
                    if v is not None
                )
                if rec["overlap"] is not None:
                    rows.append((stage, "", "overlap", rec["overlap"], last))
        return rows

    # ---- resume ---------------------------------------------------------------------
    def state_dict(self) -> dict:
        """JSON-able measurements so far; features stay in the cache folder."""
        return {
            "version": STATE_VERSION,
            "layers": self.layers,
            "probes": self.kinds,
            "pooling": self.spec.pooling,
            "baseline": self.baseline_,
            "records": {str(s): r for s, r in self.records_.items()},
            "tags": {str(s): t for s, t in self.tags_.items()},
            "fingerprints": {str(s): f for s, f in self.fingerprints_.items()},
        }

    def load_state_dict(self, state: dict) -> None:
        """Continue from `state_dict()` of a prober with the same spec and model."""
        mine = {"layers": self.layers, "probes": self.kinds, "pooling": self.spec.pooling}
        theirs = {k: state.get(k) for k in mine}
        if state.get("version") != STATE_VERSION or theirs != mine:
            raise ForgetlabError(
                f"probing state does not match this prober: saved {theirs}, now {mine}"
            )
        self.baseline_ = state["baseline"]
        self.records_ = {int(s): r for s, r in state["records"].items()}
        self.tags_ = {int(s): t for s, t in state.get("tags", {}).items()}
        self.fingerprints_ = {int(s): f for s, f in state.get("fingerprints", {}).items()}


def best_layer_index(acc: Matrix | None) -> int | None:
    """Index of the layer with the highest mean accuracy over the tasks it scored."""
    if not acc:
        return None
    means = [np.mean([v for v in row if v is not None]) for row in acc]
    return int(np.argmax(means))


def _gap(P: Matrix, Q: Matrix) -> Matrix:
    """P - Q where both are defined (rows of P; missing rows of Q give null)."""
    out = []
    for i, row in enumerate(P):
        q = Q[i] if i < len(Q) else [None] * len(row)
        out.append(
            [
                finite_or_none(p - b) if p is not None and b is not None else None
                for p, b in zip(row, q)
            ]
        )
    return out
