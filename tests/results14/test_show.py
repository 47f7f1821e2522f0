"""`forgetlab show RUN` reprints a finished run: matrix, metrics with notes, probing summary."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import cli  # noqa: F401
from tests.results14.conftest import tiny_spec


def test_show_reprints_the_matrix_metrics_and_notes(two_runs, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    seq, _ = two_runs
    res = json.loads((seq / "results.json").read_text())
    code, out, err = cli(capsys, "show", str(seq))
    assert code == 0, err
    assert "accuracy matrix" in out and "probing" not in out
    R = res["accuracy_matrix"]
    stage1 = next(line for line in out.splitlines() if line.startswith("│ stage 1"))
    assert [f"{a:.3f}" for a in R[1]] == [c.strip(" *°│") for c in stage1.split("│")[2:4]]
    for name, value in res["metrics"].items():
        line = next(line for line in out.splitlines() if f"│ {name} " in line)
        assert ("n/a" if value is None else f"{value:.3f}") in line
    assert res["metric_notes"]["fwt"][:30] in " ".join(out.split())  # the note of fwt
    # each task with its labels
    for j, (task, labels) in enumerate(zip(res["tasks"], res["task_classes"])):
        assert f"task {j}: {task} ({', '.join(labels)})" in out


def test_show_adds_the_probing_summary_of_a_probed_run(tmp_path: Path, capsys, monkeypatch):
    from forgetlab import experiment
    from forgetlab.probing.summary import probing_summary

    monkeypatch.setenv("COLUMNS", "200")
    spec = tiny_spec(probe={"probes": ["prototype"], "layers": [-1]})
    run = experiment.run(spec, out=tmp_path / "probed", report=False)
    code, out, err = cli(capsys, "show", str(run.run_dir))
    assert code == 0, err
    assert "probing (from results.json)" in out
    expected = probing_summary(run.results.probing, run.results.accuracy_matrix)
    assert " ".join(expected.split()) in " ".join(out.split())


def test_show_of_a_folder_that_is_not_a_run_is_one_line(tmp_path: Path, capsys):
    code, out, err = cli(capsys, "show", str(tmp_path))
    assert code == 2 and err.startswith("error: ") and "results.json" in err
    assert err.count("\n") == 1
