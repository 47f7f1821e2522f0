"""`[recovery]`: relearning each old task for k steps, from the trained and from the untrained
model. Known answers: with a vanishing lr nothing moves, so the recovered accuracy is R's
and the baseline is the untrained model's (task-incremental: b); relearning never touches the
live model; a resumed run records the same numbers as an uninterrupted one."""

from __future__ import annotations

from pathlib import Path

import pytest

import forgetlab.experiment as experiment
from forgetlab.spec import spec_from_dict
from tests.conftest import killed_after_stage_0, tiny_wordnet


def spec_dict(n_tasks: int = 3, **recovery) -> dict:
    d = tiny_wordnet(n_tasks=n_tasks, train_per_class=20, test_per_class=8)
    d["train"]["epochs"] = 1
    if recovery is not None:
        d["recovery"] = {"steps": 3, "examples_per_task": 8, **recovery}
    return d


def test_a_vanishing_lr_recovers_exactly_r_and_the_untrained_model(tmp_path: Path):
    d = spec_dict(n_tasks=2, lr=1e-30)
    d["stream"]["kind"] = "wordnet-til"  # the candidates of a task never change
    res = experiment.run(spec_from_dict(d), out=tmp_path / "run").results.model_dump()
    rec, R, b = res["recovery"], res["accuracy_matrix"], res["initial_accuracy"]
    assert rec["accuracy_matrix"] == [[None, None], [R[1][0], None]]  # nothing moved
    assert rec["baseline_accuracy_matrix"][1][0] == b[0]  # the untrained model, unchanged
    assert res["metrics"]["recovery_gain"] == pytest.approx(0.0)
    assert res["metrics"]["recovery_savings"] == pytest.approx(R[1][0] - b[0])


def test_relearning_leaves_the_run_alone_and_resumes_exactly(tmp_path: Path):
    plain = spec_dict()
    del plain["recovery"]
    a = experiment.run(spec_from_dict(plain), out=tmp_path / "plain").results
    spec = spec_from_dict(spec_dict(steps=6, every_stage=True, lr=5e-3))
    full = experiment.run(spec, out=tmp_path / "full").results.model_dump()
    assert full["accuracy_matrix"] == a.accuracy_matrix  # the live model never relearned
    rec = full["recovery"]
    assert rec["accuracy_matrix"][0] == [None] * 3  # after stage 0 no task is old
    measured = [
        (i, j)
        for i, row in enumerate(rec["accuracy_matrix"])
        for j, v in enumerate(row)
        if v is not None
    ]
    assert measured == [(1, 0), (2, 0), (2, 1)]
    for i, j in measured:
        gain = rec["accuracy_matrix"][i][j] - full["accuracy_matrix"][i][j]
        assert rec["gain"][i][j] == pytest.approx(gain)
        saving = rec["accuracy_matrix"][i][j] - rec["baseline_accuracy_matrix"][i][j]
        assert rec["savings"][i][j] == pytest.approx(saving)
    assert max(rec["gain"][i][j] for i, j in measured) > 0  # relearning brings something back
    killed_after_stage_0(spec, tmp_path / "killed")
    resumed = experiment.resume(tmp_path / "killed").results.model_dump()
    assert resumed["recovery"] == rec
    assert resumed["metrics"] == full["metrics"]
