"""The prober: after every stage, probes on frozen features of every layer.

    prober = Prober(spec.probe, stream, learner, device, cache_dir=run_dir / "features",
                    seed=spec.seed)
    evaluate(..., on_hidden=prober.on_hidden,          # optional: test features for free
             on_predicted=prober.on_predicted)         # the model's hits: P vs R tests
    prober.observe(-1)                          # the model before fine-tuning: baseline P0
    for stage ...: train; evaluate(...); prober.observe(stage)
    prober.results(R)                           # ProbingResults (P, P0, gaps, tests, CKA...)
    prober.score_rows()                         # rows for scores.csv, with a layer column

The examples are drawn once per run from the run's seed (`design`): per class a pool of
training examples, K subsamples of it to fit on (the rest of each is its validation set)
and the test examples to score on. At stage i every probe kind is fit on each subsample of
tasks 0..i at every layer, all at once (`stage.probe_stage`): on all seen classes together
(class-incremental) or within each task's classes (task-incremental). P is the mean test
accuracy over subsamples, with a 95% interval over them; the best layer is chosen on the
validation rows. The baseline P0 fits the same probes on the same rows of the untrained
model, whose features are extracted once, at `observe(-1)`, and reused at every stage; P
vs P0 and P vs the model's own predictions (R) are compared per task by a paired bootstrap
over test examples and subsamples (1,000 draws). CKA compares each layer after stage i with the same
layer after stage i-1 (stage 0: before fine-tuning) on task 0's test examples. Separability
and overlap use the test features of the last probed layer.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from forgetlab.errors import ForgetlabError, SpecError
from forgetlab.probing.cka import linear_cka
from forgetlab.probing.design import probe_design
from forgetlab.probing.features import (
    FeatureBlock,
    FeatureCache,
    FeatureExtractor,
    concat_blocks,
    fingerprint,
    resolve_layers,
)
from forgetlab.probing.geometry import overlap, separability
from forgetlab.probing.matrices import INITIAL, finite_or_none, gap, stage_tag, tests_of
from forgetlab.probing.schema import Matrix, ProbeKindResults, ProbingResults
from forgetlab.probing.spec import ProbeSpec
from forgetlab.probing.stage import probe_stage
from forgetlab.probing.stats import LEVEL

STATE_VERSION = 2


class Prober:
    """Probing of one learner through one stream (see the module docstring)."""

    def __init__(
        self,
        spec: ProbeSpec | None,
        stream,
        learner,
        device=None,
        cache_dir: Path | None = None,
        *,
        seed: int = 0,
    ) -> None:
        self.spec = spec = spec if spec is not None else ProbeSpec()
        self.stream = stream
        self.learner = learner
        self.device = device
        self.seed = seed  # the run's seed: with `spec.seed` it draws the design
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
        self.design = probe_design(stream, spec, seed)
        self.train_uids = self.design.pool  # per task: the probe pool (training split)
        self.test_uids = self.design.test
        tasks = stream.tasks
        self._examples = {ex.uid: ex for t in tasks for ex in (*t.train, *t.test)}
        self._pending: dict[int, list[FeatureBlock]] = defaultdict(list)
        self._predicted: dict[int, dict[int, bool]] = defaultdict(dict)
        self._pending_s = 0.0
        self.eval_blocks = 0  # test blocks taken from the evaluation pass (no extra forward)
        self.records_: dict[int, dict] = {}
        self.baseline_: dict | None = None
        self.tags_: dict[int, str] = {}  # stage -> cache tag of its features
        self.fingerprints_: dict[int, str] = {}  # stage -> backbone fingerprint

    # ---- what the evaluation pass hands over ------------------------------------------
    def on_hidden(self, task: int, batch, hidden_states) -> None:
        """Callback for `evaluate(..., on_hidden=...)`: keep the pooled test features of the
        evaluation forward, used by the next `observe` instead of a second forward."""
        if self.fingerprints_ and task > max(self.fingerprints_) + 1:
            return  # a task the next observed stage has not seen: its features are not used
        t0 = time.perf_counter()
        block = self.extractor.from_hidden(batch, hidden_states)
        if block is not None:
            keep = np.isin(block.uids, self.test_uids[task])
            if keep.any():
                self._pending[task].append(block.take(block.uids[keep]))
        self._pending_s += time.perf_counter() - t0

    def on_predicted(self, task: int, batch, predicted) -> None:
        """Callback for `evaluate(..., on_predicted=...)`: the model's own hits on the test
        examples, for the next `observe`'s paired tests of P against R."""
        hits = (predicted == batch.labels).tolist()
        self._predicted[task].update(zip(batch.uids.tolist(), hits))

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

    def _model_hits(self, tasks: list[int]) -> dict[int, np.ndarray]:
        """The model's hits on each task's test examples, where the evaluation handed over
        every one of them (`on_predicted`); then forgotten."""
        out = {}
        for t in tasks:
            got = self._predicted.get(t, {})
            if all(int(u) in got for u in self.test_uids[t]):
                out[t] = np.array([got[int(u)] for u in self.test_uids[t]], dtype=bool)
        self._predicted.clear()
        return out

    # ---- features -------------------------------------------------------------------
    def blocks(self, tag: str, tasks: list[int], split: str) -> dict[int, FeatureBlock]:
        """Features of the probe rows of `split` ("train": the pools) of `tasks` for the
        model called `tag` (the learner as it is now for those not cached yet: extracted in
        one pass)."""
        uids = self.train_uids if split == "train" else self.test_uids
        found = self.cache.fetch_many(
            [((tag, t, split), uids[t]) for t in tasks],
            lambda wanted: self.extractor.extract([self._examples[int(u)] for u in wanted]),
            self.layers,
        )
        return dict(zip(tasks, found))

    def block(self, tag: str, task: int, split: str) -> FeatureBlock:
        return self.blocks(tag, [task], split)[task]

    def _cached(self, tag: str, tasks: list[int], split: str) -> dict[int, FeatureBlock]:
        """Blocks that must already be cached (never extracted from the current model)."""
        uids = self.train_uids if split == "train" else self.test_uids
        out = {t: self.cache.get((tag, t, split), uids[t], self.layers) for t in tasks}
        missing = [t for t, b in out.items() if b is None]
        if missing:
            raise ForgetlabError(
                f"probing: the features of {tag!r} (tasks {missing}, {split}) are not in the "
                "feature cache; the baseline needs the run's features folder"
            )
        return out

    # ---- measurements ---------------------------------------------------------------
    def groups(self, stage: int) -> list[list[int]]:
        """The task sets one probe is fit on after `stage`: all seen tasks together
        (class-incremental) or each task alone (task-incremental)."""
        seen = list(range(stage + 1))
        return [[t] for t in seen] if self.stream.scenario == "task_incremental" else [seen]

    def probe(self, tag: str, stage: int, baseline: bool = False, model_hits=None) -> dict:
        """`probe_stage` on the features of `tag` for the classes seen after `stage`
        (with the untrained model's, cached at `observe(-1)`, when `baseline`)."""
        seen = list(range(stage + 1))
        base = None
        if baseline:
            base = (self._cached(INITIAL, seen, "train"), self._cached(INITIAL, seen, "test"))
        return probe_stage(
            self.kinds,
            self.layers,
            self.blocks(tag, seen, "train"),
            self.blocks(tag, seen, "test"),
            {t: self.design.fit[t] for t in seen},
            self.groups(stage),
            len(self.stream.tasks),
            baseline=base,
            model_hits=model_hits,
            seed=(self.seed % 2**32, self.spec.seed % 2**32, stage % 2**32),
        )

    def accuracies(self, tag: str, stage: int) -> dict[str, Matrix]:
        """kind -> [layer][task] mean accuracy of probes fit on the classes seen after
        `stage` (tasks 0..stage); null for unseen tasks."""
        return {k: r["accuracy"] for k, r in self.probe(tag, stage)["probes"].items()}

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
        model_hits = self._model_hits(seen)
        for split in ("test", "train"):  # the missing blocks of a split: one pass
            self.blocks(tag, seen, split)
        if stage < 0:  # features of every task, kept for every stage's baseline
            geo = [self.geometry(tag, s) for s in range(T)] if self.spec.geometry else []
            self.baseline_ = {
                "separability": geo[-1][0] if geo else [None] * T,
                "overlap": [g[1] for g in geo] if geo else [None] * T,
            }
        else:
            sep, ov = self.geometry(tag, stage) if self.spec.geometry else ([None] * T, None)
            before = self.tags_.get(stage - 1, stage_tag(stage - 1))
            cka = self.cka(tag, before) if self.spec.cka else [None] * len(self.layers)
            record = self.probe(tag, stage, self.baseline_ is not None, model_hits)
            self.records_[stage] = {**record, "cka": cka, "separability": sep, "overlap": ov}
        # This stage's features stay (the next stage's CKA), and the untrained model's (P0).
        self.cache.drop({tag, INITIAL}, disk=not self.spec.keep_features)
        seconds = time.perf_counter() - t0 + self._pending_s
        self._pending_s = 0.0
        (self.baseline_ if stage < 0 else self.records_[stage])["seconds"] = seconds

    # ---- results --------------------------------------------------------------------
    def _rows(self, kind: str, key: str, layer_of) -> list:
        """Per stage up to the last probed: the `key` row (tasks) of `kind` at the layer
        index `layer_of(record)`; null rows for stages not probed."""
        T = len(self.stream.tasks)
        n = max(self.records_) + 1 if self.records_ else 0
        out = []
        for i in range(n):
            rec = (self.records_.get(i) or {}).get("probes", {}).get(kind)
            li = layer_of(rec) if rec is not None and key in rec else None
            out.append(list(rec[key][li]) if li is not None else [None] * T)
        return out

    def results(self, R: list[list[float]] | None = None) -> ProbingResults:
        """P, P0, the gaps and their paired tests for every probe kind. `R` (the model's own
        accuracy matrix, rows = stages) gives `gap_vs_model`; without it that field is None
        (the paired tests need the evaluation's per-example hits, `on_predicted`)."""
        T, L = len(self.stream.tasks), len(self.layers)
        n = max(self.records_) + 1 if self.records_ else 0
        recs = [self.records_.get(i) for i in range(n)]
        empty = [[None] * T for _ in self.layers]
        last = lambda rec: L - 1  # noqa: E731
        best = lambda rec: rec["best_layer"]  # noqa: E731
        by_probe = {}
        for kind in self.kinds:
            kr = [r["probes"][kind] if r else None for r in recs]
            P = self._rows(kind, "accuracy", last)
            P0 = self._rows(kind, "baseline", last)
            by_probe[kind] = ProbeKindResults(
                accuracy_matrix=P,
                accuracy_interval=self._rows(kind, "interval", last),
                best_layer_accuracy_matrix=self._rows(kind, "accuracy", best),
                best_layer_accuracy_interval=self._rows(kind, "interval", best),
                best_layer=[
                    self.layers[r["best_layer"]] if r and r["best_layer"] is not None else None
                    for r in kr
                ],
                layer_accuracy=[r["accuracy"] if r else empty for r in kr],
                validation_layer_accuracy=[r["validation"] if r else empty for r in kr],
                baseline_accuracy_matrix=P0,
                baseline_accuracy_interval=self._rows(kind, "baseline_interval", last),
                baseline_layer_accuracy=[r.get("baseline", empty) if r else empty for r in kr],
                gap_vs_model=gap(P, R) if R is not None else None,
                gap_vs_baseline=gap(P, P0),
                test_vs_model=[tests_of(r.get("vs_model") if r else None, T) for r in kr],
                test_vs_baseline=[tests_of(r.get("vs_baseline") if r else None, T) for r in kr],
            )
        main = by_probe[self.primary]
        base = self.baseline_ or {}
        return ProbingResults(
            layers=self.layers,
            pooling=self.spec.pooling,
            probes=self.kinds,
            accuracy_matrix=main.accuracy_matrix,
            best_layer_accuracy_matrix=main.best_layer_accuracy_matrix,
            by_probe=by_probe,
            cka=[r["cka"] if r else [None] * L for r in recs],
            separability=[r["separability"] if r else [None] * T for r in recs],
            overlap=[r["overlap"] if r else None for r in recs],
            baseline_separability=base.get("separability", [None] * T),
            baseline_overlap=base.get("overlap", [None] * T)[:n],
            seconds=[r["seconds"] if r else None for r in recs],
            baseline_seconds=base.get("seconds"),
            subsamples=self.spec.subsamples,
            train_per_class=self.spec.train_per_class,
            validation_per_class=self.spec.validation_per_class,
            seed=self.seed,
            probe_seed=self.spec.seed,
            interval_level=LEVEL,
        )

    def score_rows(self) -> list[tuple]:
        """Rows for scores.csv (see `forgetlab.probing.score_rows.score_rows`)."""
        from forgetlab.probing.score_rows import score_rows

        return score_rows(self)

    # ---- resume ---------------------------------------------------------------------
    def _identity(self) -> dict:
        """What a saved state must share with this prober to continue it."""
        s = self.spec
        return {
            "layers": self.layers,
            "probes": self.kinds,
            "pooling": s.pooling,
            "design": [s.train_per_class, s.validation_per_class, s.subsamples, s.seed],
            "seed": self.seed,
        }

    def state_dict(self) -> dict:
        """JSON-able measurements so far; features stay in the cache folder."""
        return {
            "version": STATE_VERSION,
            **self._identity(),
            "baseline": self.baseline_,
            "records": {str(s): r for s, r in self.records_.items()},
            "tags": {str(s): t for s, t in self.tags_.items()},
            "fingerprints": {str(s): f for s, f in self.fingerprints_.items()},
        }

    def load_state_dict(self, state: dict) -> None:
        """Continue from `state_dict()` of a prober with the same spec, seed and model."""
        mine = self._identity()
        theirs = {k: state.get(k) for k in mine}
        if state.get("version") != STATE_VERSION or theirs != mine:
            raise ForgetlabError(
                f"probing state does not match this prober: saved {theirs}, now {mine}"
            )
        self.baseline_ = state["baseline"]
        self.records_ = {int(s): r for s, r in state["records"].items()}
        self.tags_ = {int(s): t for s, t in state.get("tags", {}).items()}
        self.fingerprints_ = {int(s): f for s, f in state.get("fingerprints", {}).items()}
