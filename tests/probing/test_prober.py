"""The Prober on a tiny-bert 2-task stream: matrices, baseline, reuse, resume, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from forgetlab.errors import SpecError
from forgetlab.probing.prober import Prober
from forgetlab.probing.spec import ALL_PROBES, ProbeSpec
from forgetlab.spec import spec_from_dict
from forgetlab.validate import validate
from tests.conftest import tiny_wordnet
from tests.probing.helpers import perturb, run_eval, tiny

CPU = torch.device("cpu")
R = [[0.9, 0.1], [0.0, 0.95]]


def probe_through(prober, learner, stream, wire_eval=True, stages=(0, 1)):
    """Eval + observe before training, then 'train' (perturb) stage 0; stage 1 unchanged.
    Returns the evaluation's accuracy rows (R)."""
    hook = prober.on_hidden if wire_eval else None
    run_eval(learner, stream, -1, hook)
    prober.observe(-1)
    R = []
    for stage in stages:
        if stage == 0:
            perturb(learner)
        scores = run_eval(learner, stream, stage, hook, prober.on_predicted)
        R.append([s.accuracy for s in scores])
        prober.observe(stage)
    return R


def test_matrices_baseline_and_gaps(tmp_path):
    _, stream, learner = tiny("tiny-bert")
    prober = Prober(ProbeSpec(train_per_class=16), stream, learner, CPU, cache_dir=tmp_path)
    model_R = probe_through(prober, learner, stream)
    res = prober.results(R)
    assert res.layers == [0, 1, 2] and res.probes == list(ALL_PROBES)
    for r in res.by_probe.values():
        P, P0 = np.array(r.accuracy_matrix, float), np.array(r.baseline_accuracy_matrix, float)
        assert P.shape == P0.shape == (2, 2) and np.isnan(P[0, 1]) and np.isnan(P0[0, 1])
        assert np.all((P[~np.isnan(P)] >= 0) & (P[~np.isnan(P)] <= 1))
        assert np.array(r.layer_accuracy, float).shape == (2, 3, 2)
        assert np.array(r.baseline_layer_accuracy, float).shape == (2, 3, 2)
        np.testing.assert_allclose(np.array(r.gap_vs_baseline, float), P - P0)
        np.testing.assert_allclose(
            np.array(r.gap_vs_model, float), P - np.where(np.isnan(P), np.nan, R)
        )
        best = r.best_layer[1]
        assert r.best_layer_accuracy_matrix[1] == r.layer_accuracy[1][res.layers.index(best)]
        assert r.accuracy_matrix[1] == r.layer_accuracy[1][-1]  # the last layer
        # the best layer is the validation rows' (training split), never the test rows'
        val = np.nanmean(np.array(r.validation_layer_accuracy[1], float), axis=1)
        assert best == res.layers[int(np.argmax(val))]
        # intervals over the 6 subsamples bracket P; paired tests at every seen cell
        for i, j in [(0, 0), (1, 0), (1, 1)]:
            lo, hi = r.accuracy_interval[i][j]
            assert lo <= P[i, j] <= hi and hi - lo < 0.5
            vs0, vsR = r.test_vs_baseline[i][j], r.test_vs_model[i][j]
            assert vs0.diff == pytest.approx(P[i, j] - P0[i, j]) and 0 < vs0.p <= 1
            assert vsR.diff == pytest.approx(P[i, j] - model_R[i][j])  # the model's own hits
            assert vsR.low <= vsR.diff <= vsR.high
        assert r.test_vs_model[0][1] is None  # task 1 unseen after stage 0
    assert res.accuracy_matrix == res.by_probe["linear"].accuracy_matrix
    # CKA: stage 0 moved the model, stage 1 did not (same features: CKA exactly 1)
    assert all(c < 0.999 for c in res.cka[0]) and res.cka[1] == pytest.approx([1.0] * 3)
    assert res.overlap[0] is None and res.overlap[1] > 0
    assert res.separability[0][1] is None and all(s > 0 for s in res.separability[1])
    assert all(s > 0 for s in res.baseline_separability) and res.baseline_overlap[1] > 0
    assert len(res.seconds) == 2 and res.baseline_seconds > 0
    assert (res.subsamples, res.train_per_class, res.validation_per_class) == (6, 16, 4)


def test_untrained_features_are_extracted_once_and_equal_a_fresh_extraction():
    """P0 at every stage reuses the features taken before training; they equal the features
    a freshly built (same seed: same weights) untrained model gives for the same rows."""
    _, stream, learner = tiny("tiny-bert")
    prober = Prober(ProbeSpec(train_per_class=8), stream, learner, CPU)
    calls = []
    extract = prober.extractor.extract
    prober.extractor.extract = lambda exs: calls.append(len(exs)) or extract(exs)
    probe_through(prober, learner, stream, wire_eval=False)
    # before training: one pass over test rows, one over the pools, of both tasks; after
    # stage 0: the moved model's rows of task 0; after stage 1 (unchanged): task 1's only.
    # Never the untrained model's again, though P0 is fit at both stages.
    pools, tests = [len(u) for u in prober.train_uids], [len(u) for u in prober.test_uids]
    assert calls == [sum(tests), sum(pools), tests[0], pools[0], tests[1], pools[1]]
    _, _, fresh = tiny("tiny-bert")
    again = Prober(ProbeSpec(train_per_class=8), stream, fresh, CPU)
    for t in range(2):
        for split in ("train", "test"):
            kept = prober.cache.get(("initial", t, split), again.blocks("x", [t], split)[t].uids)
            new = again.block("x", t, split)
            for k in prober.layers:
                np.testing.assert_allclose(kept.layer(k), new.layer(k), rtol=1e-5, atol=1e-5)
    res = prober.results()
    assert all(r.baseline_layer_accuracy[1][0][0] is not None for r in res.by_probe.values())


def test_the_probe_examples_follow_the_run_seed():
    _, stream, learner = tiny("tiny-bert")
    a = Prober(ProbeSpec(train_per_class=8), stream, learner, CPU, seed=0)
    b = Prober(ProbeSpec(train_per_class=8), stream, learner, CPU, seed=0)
    c = Prober(ProbeSpec(train_per_class=8), stream, learner, CPU, seed=1)
    assert all(np.array_equal(x, y) for x, y in zip(a.train_uids, b.train_uids))
    assert not any(np.array_equal(x, y) for x, y in zip(a.train_uids, c.train_uids))
    with pytest.raises(Exception, match="does not match"):
        c.load_state_dict(a.state_dict())  # another seed: other examples, not resumable


def test_baseline_equals_the_probes_of_an_unchanged_model():
    """No training between the baseline and stage 0: the same features, so P == P0 there."""
    _, stream, learner = tiny("tiny-bert")
    prober = Prober(ProbeSpec(train_per_class=16), stream, learner, CPU)
    run_eval(learner, stream, -1, prober.on_hidden)
    prober.observe(-1)
    extracted = prober.cache.extractions
    assert not prober.needs_hidden()  # the evaluation may skip the backbone's forward
    run_eval(learner, stream, 0, prober.on_hidden)
    prober.observe(0)
    assert prober.cache.extractions == extracted  # a frozen backbone is never extracted again
    res = prober.results()
    for r in res.by_probe.values():
        assert r.layer_accuracy[0] == r.baseline_layer_accuracy[0]
        assert r.gap_vs_model is None
    assert res.cka[0] == pytest.approx([1.0] * 3)
    perturb(learner)
    assert prober.needs_hidden()


@pytest.mark.parametrize("wire_eval, expected", [(True, 2 + 1 + 1), (False, 4 + 2 + 2)])
def test_features_are_never_extracted_twice(wire_eval, expected):
    _, stream, learner = tiny("tiny-bert")
    prober = Prober(ProbeSpec(train_per_class=8), stream, learner, CPU)
    probe_through(prober, learner, stream, wire_eval)
    # Train blocks: both tasks before training; task 0 after stage 0 (the model moved); after
    # stage 1 (the backbone did not change) only task 1's, new to that model. Test blocks come
    # from the evaluation pass when it is wired, else they are extracted the same way.
    assert prober.cache.extractions == expected
    assert prober.eval_blocks == (2 + 1 + 1 if wire_eval else 0)
    assert prober.tags_ == {-1: "initial", 0: "stage_000", 1: "stage_000"}
    assert prober.cache.hits > 0  # P0 for both stages, CKA and geometry reuse the blocks


def test_state_dict_resumes_mid_stream(tmp_path):
    _, stream, learner = tiny("tiny-bert")
    straight = Prober(ProbeSpec(train_per_class=8), stream, learner, CPU, cache_dir=tmp_path / "a")
    probe_through(straight, learner, stream)

    _, stream, learner = tiny("tiny-bert")
    first = Prober(ProbeSpec(train_per_class=8), stream, learner, CPU, cache_dir=tmp_path / "b")
    probe_through(first, learner, stream, stages=(0,))
    state = json.loads(json.dumps(first.state_dict()))  # JSON-able
    # only the latest stage's features stay on disk, and the untrained model's (P0 at every
    # stage); the resumed prober reads them back
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["initial", "stage_000"]
    resumed = Prober(ProbeSpec(train_per_class=8), stream, learner, CPU, cache_dir=tmp_path / "b")
    resumed.load_state_dict(state)
    run_eval(learner, stream, 1, resumed.on_hidden, resumed.on_predicted)
    resumed.observe(1)
    assert resumed.cache.disk_reads >= 1
    a, b = straight.results(R).model_dump(), resumed.results(R).model_dump()
    for d in (a, b):
        d.pop("seconds"), d.pop("baseline_seconds")
    assert a == b
    with pytest.raises(Exception, match="does not match"):
        Prober(ProbeSpec(layers=(0,)), stream, learner, CPU).load_state_dict(state)


def test_score_rows():
    _, stream, learner = tiny("tiny-bert")
    prober = Prober(
        ProbeSpec(probes=("linear", "prototype"), train_per_class=8), stream, learner, CPU
    )
    probe_through(prober, learner, stream)
    rows = prober.score_rows()
    metrics = {r[2] for r in rows}
    assert metrics == {
        "probe_acc",
        "probe_acc_linear",
        "probe_acc_prototype",
        "probe0_acc_linear",
        "probe0_acc_prototype",
        "probe_acc_low",
        "probe_acc_high",
        "probe_p_vs_model",
        "probe_p_vs_baseline",
        "cka",
        "separability",
        "overlap",
    }
    acc = [r for r in rows if r[2] == "probe_acc"]
    assert len(acc) == (1 + 2) * 3  # seen tasks x layers
    res = prober.results()
    last = [r for r in acc if r[0] == 1 and r[4] == 2]
    assert [r[3] for r in last] == res.accuracy_matrix[1]
    lows = [r[3] for r in rows if r[2] == "probe_acc_low" and r[0] == 1]
    assert lows == [ci[0] for ci in res.by_probe["linear"].accuracy_interval[1]]
    p_model = [r[3] for r in rows if r[2] == "probe_p_vs_model" and r[0] == 1]
    assert p_model == [t.p for t in res.by_probe["linear"].test_vs_model[1]]
    assert {r[1] for r in acc} == set(stream.task_names)


def test_task_incremental_probes_within_each_task():
    _, stream, learner = tiny("tiny-bert", kind="wordnet-til")
    prober = Prober(ProbeSpec(probes=("prototype",), train_per_class=8), stream, learner, CPU)
    probe_through(prober, learner, stream)
    r = prober.results().by_probe["prototype"]
    # task 0's probe is fit on task 0's classes alone, at every stage: stage 1 (which left
    # the model unchanged) gives it the same features and the same classes as stage 0
    assert r.layer_accuracy[1][-1][0] == r.layer_accuracy[0][-1][0]
    assert r.baseline_layer_accuracy[1][-1][0] == r.baseline_layer_accuracy[0][-1][0]


def test_causal_lm_prober_and_its_pooling():
    _, stream, learner = tiny("tiny-gpt2")
    prober = Prober(
        ProbeSpec(probes=("linear",), pooling="last", train_per_class=8), stream, learner, CPU
    )
    probe_through(prober, learner, stream, stages=(0,))
    assert prober.eval_blocks == 0  # candidates are scored, not examples: extracted instead
    assert len(prober.results().accuracy_matrix) == 1
    with pytest.raises(SpecError, match="probe.pooling"):
        Prober(ProbeSpec(pooling="cls"), stream, learner, CPU)


def test_bad_probe_specs_are_one_line_spec_errors():
    d = tiny_wordnet()
    d["probe"] = {"probes": ["linear", "protoype"]}
    with pytest.raises(
        SpecError, match="probe.probes: unknown probe kind 'protoype'; did you mean 'prototype'"
    ):
        spec_from_dict(d)
    d["probe"] = {"pooling": "max"}
    with pytest.raises(SpecError, match="probe.pooling"):
        spec_from_dict(d)
    d["probe"] = {"layers": [3]}
    with pytest.raises(SpecError, match="layer 3 is out of range"):
        validate(spec_from_dict(d))  # `forgetlab validate` checks layers without loading weights
    _, stream, learner = tiny("tiny-bert")
    with pytest.raises(
        SpecError,
        match=r"probe.layers: layer -4 is out of range; the model \(BertModel\) has 2 layers",
    ):
        Prober(ProbeSpec(layers=(0, -4)), stream, learner, CPU)
