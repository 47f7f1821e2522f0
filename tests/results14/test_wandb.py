"""`[log] wandb = true`: params, per-stage scalars and files in a W&B run (offline mode, read
back from the run's own .wandb file)."""

from __future__ import annotations

import importlib.util
import json
import struct
import time
from pathlib import Path

import pytest

from forgetlab.errors import SpecError
from forgetlab.spec import spec_from_dict
from forgetlab.tracking import RunLogger
from tests.conftest import tiny_wordnet
from tests.reports.helpers import TASKS, results_dict


def wandb_records(path: Path) -> list:
    """The protobuf records of an offline run file (W&B's LevelDB-style log: a 7-byte file
    header, 32 KiB blocks, each record a 7-byte header and its bytes)."""
    from wandb.proto import wandb_internal_pb2 as pb2

    data, pos, block, out, buf = path.read_bytes(), 7, 32768, [], b""
    assert data[:4] == b":W&B"
    while pos + 7 <= len(data):
        left = block - pos % block
        if left < 7:
            pos += left
            continue
        length, kind = struct.unpack("<HB", data[pos + 4 : pos + 7])
        buf += data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):  # a full record, or the last piece of one
            record = pb2.Record()
            record.ParseFromString(buf)
            out.append(record)
            buf = b""
        elif kind == 0:
            buf = b""
    return out


def finished_records(path: Path, wait_s: float = 20.0) -> list:
    """The records once the exit record is on disk (wandb's service writes the file on its
    own schedule, shortly after `finish` returns)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            records = wandb_records(path)
        except Exception:  # a record half written: read again
            records = []
        if any(r.WhichOneof("record_type") == "exit" for r in records):
            return records
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} has no exit record after {wait_s} s")
        time.sleep(0.2)


def test_missing_wandb_names_the_field(tmp_path: Path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "wandb" else real(name, *a)
    )
    spec = spec_from_dict({**tiny_wordnet(), "log": {"wandb": True}})
    with pytest.raises(SpecError, match=r"log.wandb: enabled but the 'wandb' package"):
        RunLogger(spec, tmp_path, TASKS)


def test_wandb_offline_run_holds_params_scalars_and_files(tmp_path: Path, monkeypatch):
    pytest.importorskip("wandb", reason="wandb is an optional extra: pip install forgetlab[wandb]")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    spec = spec_from_dict({**tiny_wordnet(), "log": {"wandb": True, "wandb_project": "t14"}})
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "results.json").write_text("{}")
    stages = results_dict()["stages"]
    with RunLogger(spec, run_dir, TASKS) as logger:
        for i in range(3):
            logger.log_stage(i, stages[i], {"bwt": -0.6} if i == 2 else None)
    [path] = list((run_dir / "wandb").glob("offline-run-*/run-*.wandb"))
    records = finished_records(path)
    run = next(r.run for r in records if r.WhichOneof("record_type") == "run")
    assert run.project == "t14" and run.display_name == f"tiny/{run_dir.name}"
    config = {}
    for r in records:
        kind = r.WhichOneof("record_type")
        updates = (
            r.run.config.update if kind == "run" else r.config.update if kind == "config" else []
        )
        config.update({u.key: json.loads(u.value_json) for u in updates})
    assert config["train.lr"] == 0.002 and config["model.name"] == "tiny-bert"
    history = [
        {(i.key or "/".join(i.nested_key)): json.loads(i.value_json) for i in r.history.item}
        for r in records
        if r.WhichOneof("record_type") == "history"
    ]
    t0 = [(h["_step"], h["accuracy/t0_a_b"]) for h in history]
    assert t0 == [(0, 0.9), (1, 0.3), (2, 0.1)]
    assert [h.get("metrics/bwt") for h in history] == [None, None, -0.6]
    files = {
        f.path for r in records if r.WhichOneof("record_type") == "files" for f in r.files.files
    }
    assert "results.json" in files
    assert any(r.WhichOneof("record_type") == "exit" and r.exit.exit_code == 0 for r in records)


def test_a_run_with_wandb_offline_logs_every_stage(tmp_path: Path, monkeypatch):
    pytest.importorskip("wandb", reason="wandb is an optional extra: pip install forgetlab[wandb]")
    from forgetlab import experiment

    monkeypatch.setenv("WANDB_SILENT", "true")
    data = tiny_wordnet(n_tasks=2, train_per_class=20, test_per_class=5)
    data["train"]["epochs"] = 1
    data["log"] = {"wandb": True, "wandb_mode": "offline"}
    run = experiment.run(spec_from_dict(data), out=tmp_path / "run")
    [path] = list((run.run_dir / "wandb").glob("offline-run-*/run-*.wandb"))
    records = finished_records(path)
    history = [
        {(i.key or "/".join(i.nested_key)): json.loads(i.value_json) for i in r.history.item}
        for r in records
        if r.WhichOneof("record_type") == "history"
    ]
    R = run.accuracy_matrix
    key = f"accuracy/{run.tasks[0].replace(':', '_').replace('+', '_')}"
    assert [h[key] for h in history] == pytest.approx([R[0][0], R[1][0]])
    assert history[-1]["metrics/average_accuracy"] == pytest.approx(run.metrics["average_accuracy"])
    files = {
        f.path for r in records if r.WhichOneof("record_type") == "files" for f in r.files.files
    }
    assert {"results.json", "scores.csv"} <= files
