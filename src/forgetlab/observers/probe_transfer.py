"""`probe_transfer`: forward transfer read from the representation, with `[probe]` on.

Lopez-Paz FWT (R[j-1][j] - b[j]) needs a real score for task j before its stage. A causal LM
has one (it ranks label words zero-shot); a classifier does not: task j's head is random until
stage j. This observer asks the representation instead: after stage j-1 it fits a linear
probe on the last layer's features with the classes of stage j (tasks 0..j in
class-incremental streams, task j's own in task-incremental ones) and scores task j's test
split: P[j-1][j]. Before training it does the same on the untrained model for every j: P0[j].

    stages[j-1].probe_ahead          P[j-1][j]
    probe_transfer.ahead / .baseline / .gain      per task (task 0: null)
    metrics.probe_fwt                mean over j >= 1 of P[j-1][j] - P0[j]

Probes are fit on `probe.train_per_class` training examples per class (a subsample seeded by
the experiment seed and the task) and scored on every test example of task j (capped by
`probe.test_per_class`). Its records live in the stage records, so a resumed run needs no
state of its own.
"""

from __future__ import annotations

from collections import defaultdict

from forgetlab.observers.base import History, Observer, ObserverEnv, StageView, register
from forgetlab.seeding import derived_rng


def _subsample(examples, per_class: int | None, rng) -> list:
    """At most `per_class` examples of each class, in data order."""
    by_class: dict[int, list[int]] = defaultdict(list)
    for i, ex in enumerate(examples):
        by_class[ex.label].append(i)
    keep: set[int] = set()
    for label in sorted(by_class):
        idx = by_class[label]
        keep.update(
            idx if per_class is None or len(idx) <= per_class else rng.sample(idx, per_class)
        )
    return [ex for i, ex in enumerate(examples) if i in keep]


@register(
    "probe_transfer",
    help="representation forward transfer: a probe on task j before its stage vs untrained",
)
class ProbeTransfer(Observer):
    def __init__(self, spec, env: ObserverEnv, seed: int) -> None:
        from forgetlab.probing.features import FeatureExtractor, resolve_layers

        self.stream = env.stream
        self.layer = resolve_layers("all", env.learner.backbone)[-1]
        self.extractor = FeatureExtractor(env.learner, [self.layer], spec.pooling, spec.batch_size)
        T = len(env.stream.tasks)
        self.train = [
            _subsample(t.train, spec.train_per_class, derived_rng(seed, "probe_transfer", j))
            for j, t in enumerate(env.stream.tasks)
        ]
        self.test = [
            _subsample(t.test, spec.test_per_class, derived_rng(seed, "probe_transfer_test", j))
            for j, t in enumerate(env.stream.tasks)
        ]
        self.T = T

    @classmethod
    def build(cls, spec, env: ObserverEnv) -> ProbeTransfer | None:
        if spec.probe is None or len(env.stream.tasks) < 2:
            return None
        return cls(spec.probe, env, spec.seed)

    def _fit_tasks(self, j: int) -> list[int]:
        """The tasks whose classes the probe for task j at stage j is fit on."""
        if self.stream.scenario == "task_incremental":
            return [j]
        return list(range(j + 1))

    def ahead(self, j: int) -> float:
        """Accuracy on task j's test split of a linear probe on the learner's current last
        layer, fit on the training subsample of the classes of stage j."""
        import numpy as np

        from forgetlab.probing.probes import build_probe

        train = [ex for t in self._fit_tasks(j) for ex in self.train[t]]
        tr = self.extractor.extract(train)
        te = self.extractor.extract(self.test[j])
        probe = build_probe("linear").fit(tr.layer(self.layer), tr.labels)
        return float(np.mean(probe.predict(te.layer(self.layer)) == te.labels))

    def before_stream(self, view: StageView) -> dict:
        return {"probe_ahead_baseline": [self.ahead(j) for j in range(self.T)]}

    def after_stage(self, view: StageView) -> dict | None:
        if view.stage + 1 >= self.T:
            return None
        return {"probe_ahead": self.ahead(view.stage + 1)}

    def _series(self, history: History) -> tuple[list, list]:
        base = (history.initial.get(self.name) or {}).get("probe_ahead_baseline")
        ahead: list = [None] * self.T
        for i, rec in enumerate(history.stages):
            if rec.get(self.name) and i + 1 < self.T:
                ahead[i + 1] = rec[self.name]["probe_ahead"]
        return ahead, list(base) if base else [None] * self.T

    def metric_inputs(self, history: History) -> dict:
        ahead, base = self._series(history)
        return {"probe_ahead": ahead, "probe_baseline": base}

    def results(self, history: History) -> dict:
        ahead, base = self._series(history)
        gain = [a - z if a is not None and z is not None else None for a, z in zip(ahead, base)]
        return {
            "probe_transfer": {
                "layer": self.layer,
                "ahead": ahead,
                "baseline": base,
                "gain": gain,
            }
        }
