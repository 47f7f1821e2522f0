"""Resume: a run killed after any stage goes on from its last finished stage and ends with
the same results.json matrix as an uninterrupted run (CPU, bit for bit)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomli_w
import torch

import forgetlab.experiment as experiment
import forgetlab.train.stream as stream_loop
from forgetlab.errors import RunDirError
from forgetlab.runs import resume as resume_state
from forgetlab.runs import state_codec
from forgetlab.spec import spec_from_dict
from forgetlab.strategies.buffers import ReplayMemory
from forgetlab.streams.task import Example
from tests.conftest import tiny_wordnet


def stateful_spec(**train) -> dict:
    """tiny-bert, 3 tasks, ER (memory + rng use) and EWC (tensor state) stacked."""
    d = tiny_wordnet(train_per_class=30, test_per_class=10)
    d["strategy"] = [{"kind": "er", "memory_size": 20}, {"kind": "ewc", "samples": 16}]
    d["train"].update({"epochs": 1, **train})
    return d


def matrix(run_dir: Path) -> list[list[float]]:
    return json.loads((run_dir / "results.json").read_text())["accuracy_matrix"]


class Killed(Exception):
    pass


def run_killed_after(spec, out: Path, stage: int, monkeypatch) -> None:
    """Run until `stage` has finished and its state is saved, then die like a killed process."""
    real = resume_state.save

    def save_then_die(root, s, *args):
        real(root, s, *args)
        if s == stage:
            raise Killed

    monkeypatch.setattr(resume_state, "save", save_then_die)
    with pytest.raises(Killed):
        experiment.run(spec, out=out)
    monkeypatch.setattr(resume_state, "save", real)


@pytest.mark.parametrize("killed_after", [0, 1])
def test_resumed_run_equals_uninterrupted_run(tmp_path: Path, monkeypatch, killed_after: int):
    spec = spec_from_dict(stateful_spec())
    full = experiment.run(spec, out=tmp_path / "full")
    run_killed_after(spec, tmp_path / "killed", killed_after, monkeypatch)
    partial = json.loads((tmp_path / "killed" / "results.json").read_text())
    assert partial["status"] == "running"
    assert len(partial["accuracy_matrix"]) == killed_after + 1

    resumed = experiment.resume(tmp_path / "killed")
    assert resumed.results.accuracy_matrix == full.results.accuracy_matrix  # bit for bit
    assert resumed.results.metrics == full.results.metrics
    assert resumed.results.resumed_after == [killed_after]
    assert resumed.results.status == "complete"
    assert not (tmp_path / "killed" / "resume").exists()  # cleared once complete
    with pytest.raises(RunDirError, match="already complete"):
        experiment.resume(tmp_path / "killed")


def test_sigkill_then_resume_via_cli(tmp_path: Path):
    """A real SIGKILL of `forgetlab run` after stage 0's state is on disk."""
    spec_path = tmp_path / "exp.toml"
    spec_path.write_text(tomli_w.dumps(stateful_spec()))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    base = [sys.executable, "-m", "forgetlab", "run", "--quiet"]
    subprocess.run([*base, str(spec_path), "--out", str(tmp_path / "full")], env=env, check=True)

    out = tmp_path / "killed"
    proc = subprocess.Popen([*base, str(spec_path), "--out", str(out)], env=env)
    latest = out / "resume" / "LATEST"
    deadline = time.time() + 120
    while not latest.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert json.loads((out / "results.json").read_text())["status"] == "running"

    subprocess.run([*base, "--resume", str(out)], env=env, check=True)
    assert matrix(out) == matrix(tmp_path / "full")


def test_killed_during_stage_zero_restarts_from_scratch(tmp_path: Path, monkeypatch):
    spec = spec_from_dict(stateful_spec())
    full = experiment.run(spec, out=tmp_path / "full")

    def die(*a, **k):
        raise Killed

    monkeypatch.setattr(stream_loop, "train_stage", die)
    with pytest.raises(Killed):
        experiment.run(spec, out=tmp_path / "killed")
    monkeypatch.undo()
    resumed = experiment.resume(tmp_path / "killed")
    assert resumed.results.accuracy_matrix == full.results.accuracy_matrix
    assert resumed.results.resumed_after == []


def test_truncated_resume_file_is_refused(tmp_path: Path, monkeypatch):
    spec = spec_from_dict(stateful_spec())
    run_killed_after(spec, tmp_path / "killed", 0, monkeypatch)
    folder = tmp_path / "killed" / "resume" / "stage-000"
    before = (tmp_path / "killed" / "results.json").read_bytes()
    params = folder / "params.safetensors"
    good = params.read_bytes()
    params.write_bytes(good[:100])
    with pytest.raises(RunDirError, match="truncated or corrupt"):
        experiment.resume(tmp_path / "killed")
    assert (tmp_path / "killed" / "results.json").read_bytes() == before
    params.write_bytes(good)
    (folder / "strategies.safetensors").unlink()
    with pytest.raises(RunDirError, match="missing"):
        experiment.resume(tmp_path / "killed")


def test_branch_resumes_like_every_strategy(tmp_path: Path, monkeypatch):
    """Per-task peft adapters are rebuilt from the strategy's state before the weights load."""
    d = stateful_spec()
    d["stream"]["kind"] = "wordnet-til"
    d["strategy"] = {"kind": "branch", "r": 2}
    spec = spec_from_dict(d)
    full = experiment.run(spec, out=tmp_path / "full")
    run_killed_after(spec, tmp_path / "killed", 0, monkeypatch)
    resumed = experiment.resume(tmp_path / "killed")
    assert resumed.results.resumed_after == [0]
    assert resumed.results.accuracy_matrix == full.results.accuracy_matrix


def test_state_codec_round_trip():
    rng = random.Random(3)
    rng.random()
    ex = Example("a text", 2, 1, 7, "tail")
    memory = ReplayMemory(4, "reservoir")
    memory.add([(ex, torch.tensor([1.0, 2.0]))], rng)
    state = {
        "terms_": [({"w": torch.ones(2, 3)}, {"w": torch.zeros(2, 3)})],
        "rng_": rng,
        "memory_": memory,
        "counts_": {3: "x", (1, 2): [1.5, None]},
    }
    tree, tensors = state_codec.encode(state)
    json.dumps(tree)  # the tree is plain JSON
    back = state_codec.decode(json.loads(json.dumps(tree)), tensors)
    assert torch.equal(back["terms_"][0][0]["w"], torch.ones(2, 3))
    assert back["rng_"].random() == rng.random()
    assert back["memory_"].items[0][0] == ex and back["memory_"].seen == 1
    assert torch.equal(back["memory_"].items[0][1], torch.tensor([1.0, 2.0]))
    assert back["counts_"] == {3: "x", (1, 2): [1.5, None]}
    with pytest.raises(state_codec.UnsupportedState, match="teacher_: cannot store a Linear"):
        state_codec.encode({"teacher_": torch.nn.Linear(2, 2)})
