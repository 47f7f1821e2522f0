"""The user's files around a run directory: overwrite, locking, resume checks, interrupts.

Every refusal is one line on stderr with exit code 2 and leaves the folder around it exactly as
it was (hashed before and after).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomli_w

import forgetlab.experiment as experiment
from forgetlab.errors import RunDirError
from forgetlab.runs import guard
from forgetlab.runs import resume as resume_state
from forgetlab.runs.store import default_run_dir
from forgetlab.spec import spec_from_dict
from tests.conftest import cli, killed_after_stage_0, tiny_wordnet
from tests.test_bad_input import tree_hash


def small() -> dict:
    d = tiny_wordnet(n_tasks=2, train_per_class=20, test_per_class=5)
    d["train"].update({"epochs": 1})
    return d


def write_spec(folder: Path, d: dict) -> Path:
    path = folder / "exp.toml"
    path.write_text(tomli_w.dumps(d))
    return path


def refused(capsys, tmp_path: Path, *args: str, match: str) -> None:
    before = tree_hash(tmp_path)
    code, _, err = cli(capsys, *args)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and match in lines[0], err
    assert tree_hash(tmp_path) == before, "a refused command changed files"


def test_overwrite_refuses_a_folder_that_is_not_a_run(tmp_path, capsys):
    spec = write_spec(tmp_path, small())
    user = tmp_path / "my_notes"
    user.mkdir()
    (user / "thesis.tex").write_text("precious")
    refused(
        capsys,
        tmp_path,
        "run",
        str(spec),
        "--out",
        str(user),
        "--overwrite",
        match="not a forgetlab run",
    )


def test_overwrite_refuses_the_folder_holding_the_spec_and_the_cwd(tmp_path, capsys, monkeypatch):
    experiment.run(spec_from_dict(small()), out=tmp_path / "old")
    spec = write_spec(tmp_path / "old", small())  # the spec lives inside the old run
    refused(
        capsys,
        tmp_path,
        "run",
        str(spec),
        "--out",
        str(tmp_path / "old"),
        "--overwrite",
        match="holds",
    )
    monkeypatch.chdir(tmp_path / "old")
    spec2 = write_spec(tmp_path, small())
    refused(
        capsys, tmp_path, "run", str(spec2), "--out", ".", "--overwrite", match="current directory"
    )


def test_a_failing_new_run_puts_the_replaced_run_back(tmp_path, monkeypatch):
    old = experiment.run(spec_from_dict(small()), out=tmp_path / "run")
    before = tree_hash(tmp_path / "run")
    import forgetlab.train.stream as stream_loop

    def crash(*a, **k):
        raise RuntimeError("the new spec crashes in stage 0")

    monkeypatch.setattr(stream_loop, "train_stage", crash)
    with pytest.raises(RuntimeError):
        experiment.run(spec_from_dict(small()), out=tmp_path / "run", overwrite=True)
    assert tree_hash(tmp_path / "run") == before  # the complete run is back, bit for bit
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # nothing left aside
    assert old.results.status == "complete"


def test_overwrite_replaces_a_run_once_the_new_one_has_a_stage(tmp_path):
    d = small()
    experiment.run(spec_from_dict(d), out=tmp_path / "run")
    d["seed"] = 1
    new = experiment.run(spec_from_dict(d), out=tmp_path / "run", overwrite=True)
    assert new.results.seed == 1 and [p.name for p in tmp_path.iterdir()] == ["run"]
    assert guard.marked(tmp_path / "run", guard.RUN_MARKER)


def test_no_run_inside_another_run(tmp_path, capsys):
    spec = spec_from_dict(small())
    killed_after_stage_0(spec, tmp_path / "killed")
    path = write_spec(tmp_path, small())
    inside = tmp_path / "killed" / "resume" / "mine"
    refused(
        capsys, tmp_path, "run", str(path), "--out", str(inside), match="inside the run directory"
    )


def test_default_run_directories_of_the_same_second_differ():
    a, b = default_run_dir("x"), default_run_dir("x")
    assert a.parent == b.parent and a != b


def test_a_locked_run_refuses_a_second_process(tmp_path, capsys):
    spec = spec_from_dict(small())
    killed_after_stage_0(spec, tmp_path / "killed")
    held = guard.DirLock(tmp_path / "killed")  # stands for a process still running it
    try:
        with pytest.raises(RunDirError, match="in use by another forgetlab process"):
            experiment.resume(tmp_path / "killed")
        with pytest.raises(RunDirError, match="in use"):
            experiment.run(spec, out=tmp_path / "killed", overwrite=True)
    finally:
        held.release()
    assert experiment.resume(tmp_path / "killed").results.status == "complete"


def test_resume_refuses_a_changed_spec_naming_the_field(tmp_path):
    spec = spec_from_dict(small())
    killed_after_stage_0(spec, tmp_path / "killed")
    path = tmp_path / "killed" / "spec.toml"
    head, stream = path.read_text().split("[stream]", 1)
    path.write_text(head + "[stream]" + stream.replace("seed = 0\n", "seed = 5\n", 1))
    with pytest.raises(RunDirError, match=r"spec.toml changed .*stream.seed: 0 -> 5"):
        experiment.resume(tmp_path / "killed")


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        ("latest_dir", "is not a file"),
        ("state_json", "truncated or corrupt"),
        ("results_list", "already complete|is not|resume"),
    ],
)
def test_damaged_resume_files_are_one_line_errors(tmp_path, capsys, damage, match):
    spec = spec_from_dict(small())
    run = tmp_path / "killed"
    killed_after_stage_0(spec, run)
    latest = run / "resume" / "LATEST"
    if damage == "latest_dir":
        latest.unlink()
        latest.mkdir()
    elif damage == "state_json":
        state = run / "resume" / latest.read_text().strip() / "state.json"
        state.write_text('{"stage": 0}')
    else:
        (run / "results.json").write_text("[1, 2]")
    before = tree_hash(tmp_path)
    code, _, err = cli(capsys, "run", "--resume", str(run))
    if damage == "results_list":  # the resume state is intact: it goes on and rewrites it
        assert code == 0
        assert json.loads((run / "results.json").read_text())["status"] == "complete"
        return
    assert code == 2 and len(err.strip().splitlines()) == 1 and match in err
    assert tree_hash(tmp_path) == before


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_marks_the_run_and_says_how_to_resume(tmp_path, sig, code):
    d = tiny_wordnet(n_tasks=3, train_per_class=40, test_per_class=5)
    d["train"].update({"epochs": 40})  # long enough to be stopped during stage 1
    spec = write_spec(tmp_path, d)
    out = tmp_path / "run"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "forgetlab", "run", "--quiet", str(spec), "--out", str(out)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        # a shell that starts the suite in the background (`cmd &`) makes it ignore SIGINT, and
        # Python then leaves Ctrl-C ignored: give the run the terminal's default, as a user has
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 600
    while not (out / "resume" / "LATEST").is_file() and time.time() < deadline:
        time.sleep(0.2)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == code, err
    last = err.strip().splitlines()[-1]
    assert f"resume with: forgetlab run --resume {out}" in last
    assert json.loads((out / "results.json").read_text())["status"] == "interrupted"
    state = resume_state.load(out)  # what `--resume` goes on from (tested end to end elsewhere)
    assert state is not None and state.stage == 0
