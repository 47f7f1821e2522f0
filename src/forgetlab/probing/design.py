"""Which examples the probes are fit, validated and scored on: drawn once per run, from
generators derived from the run's seed, and the same at every stage.

    design = probe_design(stream, spec.probe, seed=spec.seed)
    design.pool[t]        # uids of task t's probe pool (training split), data order
    design.fit[t]         # (K, len(pool[t])) bool: rows each subsample is fit on
    design.test[t]        # uids of task t's test examples the probes are scored on

Per class, the pool holds `train_per_class + validation_per_class` training examples (all of
them when the class has fewer); each of the K subsamples fits on `train_per_class` of them
and leaves the rest as its validation set (where the best layer is chosen), so a class
with at least two pool examples always keeps one for validation. Test examples are never in
a pool: probes see the training split only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

POOL, TEST = 0, 1  # purposes: one generator each, per task


def generator(seed: int, probe_seed: int, *keys: int) -> np.random.Generator:
    """A generator for (run seed, probe seed, keys...), independent of draw order."""
    return np.random.default_rng([int(k) % 2**32 for k in (seed, probe_seed, *keys)])


def _by_class(examples) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for ex in examples:
        out[ex.label].append(ex.uid)
    return out


@dataclass(frozen=True)
class ProbeDesign:
    pool: list[np.ndarray]  # per task: int64 uids, data order
    fit: list[np.ndarray]  # per task: (K, len(pool)) bool
    test: list[np.ndarray]  # per task: int64 uids, data order

    @property
    def subsamples(self) -> int:
        return self.fit[0].shape[0] if self.fit else 0


def draw_pool(examples, train: int, validation: int, subsamples: int, rng) -> tuple:
    """(pool uids in data order, (K, len) fit mask) for one task's training examples."""
    order = {ex.uid: i for i, ex in enumerate(examples)}
    chosen: list[int] = []
    fits: list[list[int]] = [[] for _ in range(subsamples)]
    for _, uids in sorted(_by_class(examples).items()):
        pool = list(rng.permutation(uids)[: train + validation])
        chosen += pool
        n_fit = len(pool) if len(pool) < 2 else min(train, len(pool) - 1)
        for k in range(subsamples):
            fits[k] += list(rng.choice(pool, size=n_fit, replace=False))
    pool = np.array(sorted(chosen, key=order.__getitem__), dtype=np.int64)
    fit = np.stack([np.isin(pool, f) for f in fits]) if subsamples else np.zeros((0, len(pool)))
    return pool, fit.astype(bool)


def draw_test(examples, per_class: int | None, rng) -> np.ndarray:
    """Uids of at most `per_class` test examples of each class, in data order."""
    keep: set[int] = set()
    for _, uids in sorted(_by_class(examples).items()):
        keep.update(
            uids
            if per_class is None or len(uids) <= per_class
            else rng.choice(uids, size=per_class, replace=False).tolist()
        )
    return np.array([ex.uid for ex in examples if ex.uid in keep], dtype=np.int64)


def probe_design(stream, spec, seed: int = 0) -> ProbeDesign:
    """The design of `spec` (a ProbeSpec) on `stream` for the run seed `seed`."""
    pools, fits, tests = [], [], []
    for i, task in enumerate(stream.tasks):
        pool, fit = draw_pool(
            task.train,
            spec.train_per_class,
            spec.validation_per_class,
            spec.subsamples,
            generator(seed, spec.seed, i, POOL),
        )
        pools.append(pool)
        fits.append(fit)
        tests.append(draw_test(task.test, spec.test_per_class, generator(seed, spec.seed, i, TEST)))
    return ProbeDesign(pools, fits, tests)
