"""Which examples the probes see: train/test separation, the sizes asked for, and draws that
depend on the run's seed (and nothing else)."""

from __future__ import annotations

from collections import Counter

import numpy as np

from forgetlab.probing.design import probe_design
from forgetlab.probing.spec import ProbeSpec
from forgetlab.spec import spec_from_dict
from forgetlab.streams import build_stream
from tests.conftest import tiny_wordnet

STREAM = build_stream(
    spec_from_dict(tiny_wordnet(n_tasks=2, train_per_class=40, test_per_class=12)).stream
)
SPEC = ProbeSpec(train_per_class=12, validation_per_class=6, subsamples=5, test_per_class=10)


def test_probes_see_training_examples_and_are_scored_on_test_examples_only():
    design = probe_design(STREAM, SPEC, seed=0)
    for t, task in enumerate(STREAM.tasks):
        train = {e.uid: e.label for e in task.train}
        test = {e.uid: e.label for e in task.test}
        pool, fit = design.pool[t], design.fit[t]
        assert set(pool.tolist()) <= set(train) and set(design.test[t].tolist()) <= set(test)
        assert not set(pool.tolist()) & set(test)
        # per class: 12 + 6 in the pool, 12 fit and 6 validation rows in every subsample
        assert set(Counter(train[u] for u in pool.tolist()).values()) == {18}
        assert set(Counter(test[u] for u in design.test[t].tolist()).values()) == {10}
        labels = np.array([train[u] for u in pool.tolist()])
        for k in range(5):
            assert set(Counter(labels[fit[k]]).values()) == {12}
            assert set(Counter(labels[~fit[k]]).values()) == {6}
        assert len({fit[k].tobytes() for k in range(5)}) == 5  # five different subsamples
        order = [e.uid for e in task.train]  # rows follow the data order
        assert list(pool) == sorted(pool, key=order.index)


def test_the_draws_follow_the_run_seed():
    a, again = probe_design(STREAM, SPEC, seed=0), probe_design(STREAM, SPEC, seed=0)
    other_run = probe_design(STREAM, SPEC, seed=1)
    other_probe = probe_design(STREAM, SPEC.model_copy(update={"seed": 1}), seed=0)
    for t in range(2):
        assert np.array_equal(a.pool[t], again.pool[t]) and np.array_equal(a.fit[t], again.fit[t])
        assert not np.array_equal(a.pool[t], other_run.pool[t])
        assert not np.array_equal(a.pool[t], other_probe.pool[t])
        assert not np.array_equal(a.test[t], other_run.test[t])


def test_small_classes_keep_a_validation_row():
    spec = ProbeSpec(train_per_class=50, validation_per_class=5, subsamples=3)
    design = probe_design(STREAM, spec, seed=0)
    labels = {e.uid: e.label for e in STREAM.tasks[0].train}
    pool = np.array([labels[u] for u in design.pool[0].tolist()])
    for k in range(3):
        fit = design.fit[0][k]
        # 40 training examples per class: all in the pool, 39 fit, 1 validates
        assert set(Counter(pool[fit]).values()) == {39}
        assert set(Counter(pool[~fit]).values()) == {1}
