"""scores.csv names its run on every row; `forgetlab.load_run` / `load_runs` read runs back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import forgetlab
from forgetlab.errors import RunDirError


def test_scores_csv_names_the_run_on_every_row(two_runs):
    seq, ewc = two_runs
    header = (ewc / "scores.csv").read_text().splitlines()[0]
    assert header == "run,strategy,method,model,seed,stage,task,metric,value,layer"
    rows = (ewc / "scores.csv").read_text().splitlines()[1:]
    assert rows and all(r.startswith("ewc,ewc,full,tiny-bert,1,") for r in rows)


def test_load_runs_concatenates_runs_into_one_frame(two_runs):
    seq, ewc = two_runs
    df = forgetlab.load_runs([seq, ewc])
    assert list(df.columns[:10]) == [
        "run", "strategy", "method", "model", "seed",
        "stage", "task", "metric", "value", "layer",
    ]  # fmt: skip
    assert set(df.run) == {"seq", "ewc"} and set(df.strategy) == {"seq", "ewc"}
    assert sorted(set(df.seed)) == [0, 1] and set(df.run_dir) == {str(seq), str(ewc)}
    # the numbers are the runs' own: R[1][0] and the final average accuracy of each run
    for d in (seq, ewc):
        run = forgetlab.load_run(d)
        part = df[df.run == d.name]
        r10 = part[(part.metric == "accuracy") & (part.stage == 1) & (part.task == run.tasks[0])]
        assert r10.value.astype(float).item() == pytest.approx(run.accuracy_matrix[1][0])
        avg = part[part.metric == "average_accuracy"].value.astype(float).item()
        assert avg == pytest.approx(run.metrics["average_accuracy"])
    per_strategy = df[df.metric == "average_accuracy"].groupby("strategy").value.count()
    assert per_strategy.to_dict() == {"ewc": 1, "seq": 1}


def test_load_run_gives_tasks_and_their_labels(two_runs):
    seq, _ = two_runs
    run = forgetlab.load_run(seq)
    assert len(run.tasks) == 2 and run.accuracy_matrix.shape == (2, 2)
    classes = run.task_classes
    assert [len(c) for c in classes] == [2, 2]  # classes_per_task = 2
    assert sorted(sum(classes, [])) == sorted(run.results.classes)
    assert len(run.scores) == len(forgetlab.load_runs(seq))


def test_load_run_refuses_a_folder_that_is_not_a_run(tmp_path: Path):
    with pytest.raises(RunDirError, match="results.json"):
        forgetlab.load_run(tmp_path)
    (tmp_path / "results.json").write_text('{"status": "complete"}')
    with pytest.raises(RunDirError, match="not a run's results"):
        forgetlab.load_run(tmp_path)


def test_old_scores_csv_gets_the_run_columns_from_results(two_runs, tmp_path: Path):
    import shutil

    seq, _ = two_runs
    old = tmp_path / "old"
    shutil.copytree(seq, old)
    lines = (old / "scores.csv").read_text().splitlines()
    stripped = [",".join(line.split(",")[5:]) for line in lines]  # the pre-issue-14 format
    (old / "scores.csv").write_text("\n".join(stripped) + "\n")
    df = forgetlab.load_runs([old])
    assert set(df.run) == {"old"} and set(df.strategy) == {"seq"} and set(df.seed) == {0}
    assert len(df) == len(lines) - 1


def test_import_forgetlab_stays_light():
    code = "import sys, forgetlab; forgetlab.load_runs; print('torch' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
