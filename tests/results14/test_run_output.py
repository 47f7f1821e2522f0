"""What `forgetlab run` prints while it runs: the trainable parameters and each task's labels
before training, one plain line per stage (also into a pipe or log file); the libraries'
own progress bars, info lines and FutureWarnings silenced during the run only."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest
import tomli_w

from tests.conftest import cli  # noqa: F401


def files_spec(tmp_path: Path, train: Path, test: Path) -> Path:
    data = {
        "name": "toy",
        "model": {"name": "tiny-bert"},
        "stream": {"kind": "files", "train": str(train), "test": str(test)},
        "train": {"epochs": 1, "lr": 2e-3, "batch_size": 16, "checkpoint": "none"},
    }
    path = tmp_path / "exp.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def test_run_prints_tasks_with_labels_and_a_line_per_stage(tmp_path, toy_files, capsys):
    spec = files_spec(tmp_path, *toy_files)
    code, out, err = cli(capsys, "run", str(spec), "--out", str(tmp_path / "run"), "--quiet")
    assert code == 0, err
    lines = out.splitlines()
    # before training: the trainable parameters, then the tasks in order of first appearance
    first = lines.index("stream files (class_incremental), 2 tasks in this order:")
    assert re.fullmatch(
        r"model tiny-bert \(classifier\): [\d,]+ of [\d,]+ parameters trainable \([\d.]+%\); "
        r"method full, strategy seq",
        lines[first - 1],
    )
    assert lines[first + 1] == "  task 0 leisure: sports, music (80 train, 20 test)"
    assert lines[first + 2] == "  task 1 home: cooking, travel (80 train, 20 test)"
    # one line per stage with the row of R it produced (capsys is not a terminal)
    from forgetlab import load_run

    run = load_run(tmp_path / "run")
    R, b = run.accuracy_matrix, run.initial_accuracy
    assert any(x.startswith(f"before training: acc {b[0]:.2f} {b[1]:.2f}") for x in lines)
    assert re.fullmatch(r"stream built in [\d.]+ s, model loaded in [\d.]+ s", lines[0])
    for i, (task, stage) in enumerate(zip(run.tasks, run.results.stages)):
        line = next(x for x in lines if x.startswith(f"stage {i} {task}: "))
        assert f"{stage.steps} steps, loss {stage.mean_loss:.3g}, " in line
        assert f"acc {R[i][0]:.2f} {R[i][1]:.2f} (" in line
    assert lines.index(line) < next(k for k, x in enumerate(lines) if "accuracy matrix" in x)


def test_libraries_are_quiet_during_a_run_and_as_before_after(tmp_path, toy_files, monkeypatch):
    import transformers.utils.logging as tlog

    import forgetlab.experiment as experiment
    from forgetlab.spec import load_spec

    real = experiment.build_learner
    seen: dict = {}

    def noisy_build(*args, **kwargs):  # what transformers does while loading a model
        seen["bars"] = tlog.is_progress_bar_enabled()
        seen["verbosity"] = tlog.get_verbosity()
        warnings.warn("`foo` is deprecated", FutureWarning, stacklevel=1)
        return real(*args, **kwargs)

    monkeypatch.setattr(experiment, "build_learner", noisy_build)
    tlog.set_verbosity_warning()
    tlog.enable_progress_bar()
    spec = load_spec(files_spec(tmp_path, *toy_files))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        experiment.run(spec, out=tmp_path / "run", narrate=False)
    assert seen["bars"] is False and seen["verbosity"] == tlog.ERROR
    assert not [w for w in caught if w.category is FutureWarning]
    # afterwards: the settings the caller had
    assert tlog.is_progress_bar_enabled() and tlog.get_verbosity() == tlog.WARNING
    with pytest.warns(FutureWarning):
        warnings.warn("shown again", FutureWarning, stacklevel=1)


def test_python_api_is_silent_unless_asked(tmp_path, toy_files, capsys):
    from forgetlab.experiment import run
    from forgetlab.spec import load_spec

    run(load_spec(files_spec(tmp_path, *toy_files)), out=tmp_path / "run")
    assert capsys.readouterr().out == ""


def test_stage_lines_name_where_the_time_went():
    """Strategy hooks and observers that took time are named in the stage line (e.g. EWC's
    Fisher in end_task, probing, checkpoints); what took under 0.05 s is left out."""
    from types import SimpleNamespace

    from forgetlab.runs.narration import stage_line

    stats = SimpleNamespace(
        steps=28,
        mean_loss=0.3141,
        seconds=12.04,
        hook_s={"ewc": {"penalty": 0.41, "end_task": 5.06, "begin_task": 0.001}},
    )
    observers = {"evaluate": 2.04, "probe": 3.1, "checkpoint": 0.02}
    line = stage_line(1, [0.0, 0.987], stats, "t1", "acc", observers)
    assert line == (
        "stage 1 t1: 28 steps, loss 0.314, acc 0.00 0.99 "
        "(12.0 s; ewc penalty 0.4 s, ewc end_task 5.1 s, evaluate 2.0 s, probe 3.1 s)"
    )
    before = stage_line(-1, [0.5, 0.25], None, "", "acc", {"evaluate": 1.0})
    assert before == "before training: acc 0.50 0.25 (evaluate 1.0 s)"
    quiet = SimpleNamespace(steps=2, mean_loss=1.0, seconds=0.5, hook_s=None)
    assert stage_line(0, [0.5], quiet, "t0") == "stage 0 t0: 2 steps, loss 1, acc 0.50 (0.5 s)"
