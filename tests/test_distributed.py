"""Data parallel over processes: `accelerate launch --cpu --num_processes 2 -m forgetlab run`
(gloo) equals one process with the same global batch, and writes the run directory once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tomli_w
from safetensors.torch import load_file

import forgetlab.experiment as experiment
from forgetlab.spec import spec_from_dict

NO_DROPOUT = {"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}


def spec_dict(toy_files) -> dict:
    tr, te = toy_files
    return {
        "name": "ddp",
        "model": {"name": "tiny-bert", "config_overrides": NO_DROPOUT},
        "stream": {"kind": "files", "train": str(tr), "test": str(te)},
        "strategy": [{"kind": "er", "memory_size": 16}],
        "train": {"epochs": 2, "lr": 3e-3, "batch_size": 16, "device": "cpu"},
    }


def test_two_processes_equal_one(toy_files, tmp_path: Path):
    d = spec_dict(toy_files)
    one = experiment.run(spec_from_dict(d), out=tmp_path / "one")
    path = tmp_path / "exp.toml"
    path.write_text(tomli_w.dumps(d))
    accelerate = Path(sys.executable).parent / "accelerate"
    if not accelerate.exists():
        pytest.skip("accelerate's launcher is not installed")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    cmd = [
        str(accelerate), "launch", "--cpu", "--num_processes", "2", "--num_machines", "1",
        "--mixed_precision", "no", "--dynamo_backend", "no",
        "-m", "forgetlab", "run", "--quiet", str(path), "--out", str(tmp_path / "two"),
    ]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    two = json.loads((tmp_path / "two" / "results.json").read_text())
    assert two["status"] == "complete"
    np.testing.assert_allclose(two["accuracy_matrix"], one.results.accuracy_matrix, atol=0.05)
    a = load_file(str(tmp_path / "one" / "checkpoints" / "last" / "trainable.safetensors"))
    b = load_file(str(tmp_path / "two" / "checkpoints" / "last" / "trainable.safetensors"))
    assert a.keys() == b.keys()
    assert max(float((a[k] - b[k]).abs().max()) for k in a) < 1e-3
    # written once: the second process created no run directory of its own
    made = {p.name for p in tmp_path.iterdir()} - {"exp.toml", "train.jsonl", "test.jsonl"}
    assert made == {"one", "two"}
    assert two["stages"][0]["steps"] == one.results.stages[0].steps  # same global batches
