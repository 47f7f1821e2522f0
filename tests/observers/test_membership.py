"""`[membership]`: a p-value matrix M beside R, per task seen, resumable, in the report."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import killed_after_stage_0

import forgetlab.experiment as experiment
from forgetlab.spec import spec_from_dict


def spec(toy_files, epochs: int = 8):
    tr, te = toy_files
    return spec_from_dict(
        {
            "model": {"name": "tiny-gpt2"},
            "stream": {"kind": "files", "train": str(tr), "test": str(te)},
            "train": {"epochs": epochs, "lr": 3e-3, "batch_size": 16},
            "membership": {"examples": 10, "splits": 5},
        }
    )


def test_membership_matrix_beside_R(toy_files, tmp_path: Path):
    run = experiment.run(spec(toy_files), out=tmp_path / "run", report=True)
    mem = run.results.membership
    M = mem["p_value_matrix"]
    assert len(M) == 2 and len(M[0]) == 2
    assert M[0][1] is None and M[0][0] is not None  # task 1 not seen after stage 0
    assert all(0 <= p <= 1 for row in M for p in row if p is not None)
    assert len(mem["initial_p"]) == 2 and all(p is not None for p in mem["initial_p"])
    assert mem["significant"][0][0] == (M[0][0] < 0.05)
    # the stage records hold the same numbers, and scores.csv their rows
    assert [s.membership_p for s in run.results.stages] == M
    rows = (tmp_path / "run" / "scores.csv").read_text().splitlines()
    assert sum(",membership_p," in r for r in rows) == 2 + 1 + 2  # initial 2, stage 0 1, stage 1 2
    html = (tmp_path / "run" / "report.html").read_text()
    assert 'id="membership"' in html and (tmp_path / "run" / "figures" / "membership.png").is_file()


def test_membership_resumes_to_the_same_matrix(toy_files, tmp_path: Path):
    s = spec(toy_files, epochs=2)
    full = experiment.run(s, out=tmp_path / "full")
    killed_after_stage_0(s, tmp_path / "killed")
    resumed = experiment.resume(tmp_path / "killed")
    assert resumed.results.membership == full.results.membership
