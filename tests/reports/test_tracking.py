"""`[log]`: off by default, TensorBoard scalars per stage, MLflow when installed, clear errors."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from forgetlab.errors import SpecError
from forgetlab.spec import spec_from_dict
from forgetlab.tracking import RunLogger
from forgetlab.tracking.logger import metric_name
from tests.conftest import tiny_wordnet
from tests.reports.helpers import TASKS, R, results_dict


def spec_with(**log):
    return spec_from_dict({**tiny_wordnet(), "log": log})


def stage_record(i: int) -> dict:
    rec = results_dict()["stages"][i]
    rec["group_accuracy"] = {TASKS[0]: {"tail": 0.125}}
    return rec


def test_logging_is_off_by_default_and_then_does_nothing(tmp_path: Path):
    spec = spec_from_dict(tiny_wordnet())
    assert not spec.log.tensorboard and not spec.log.mlflow
    with RunLogger(spec, tmp_path, TASKS) as logger:
        logger.log_stage(0, stage_record(0), None)
    assert list(tmp_path.iterdir()) == []


def test_unknown_log_field_is_a_spec_error():
    with pytest.raises(
        SpecError, match=r"unknown key 'log.tensorbord'; did you mean 'tensorboard'"
    ):
        spec_with(tensorbord=True)


def test_enabled_backend_without_its_package_names_the_field(tmp_path: Path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "mlflow" else real(name, *a)
    )
    with pytest.raises(SpecError, match=r"log.mlflow: enabled but the 'mlflow' package"):
        RunLogger(spec_with(mlflow=True), tmp_path, TASKS)


def test_stage_scalars_name_every_number():
    logger = RunLogger(spec_from_dict(tiny_wordnet()), Path("."), TASKS)
    values = logger.stage_scalars(stage_record(1), {"bwt": -0.5, "fwt": None})
    assert values[metric_name("accuracy", TASKS[1])] == R[1][1]
    assert values["accuracy/t1_c_d"] == 0.8  # ':' and '+' are not allowed in tags
    assert values["accuracy/mean_seen"] == pytest.approx((0.3 + 0.8) / 2)
    assert values["group_accuracy/t0_a_b/tail"] == 0.125
    assert values["metrics/bwt"] == -0.5 and "metrics/fwt" not in values
    assert values["time/train_s"] == 11.0 and values["train/last_loss"] == 0.25


def test_tensorboard_event_file_holds_the_scalars(tmp_path: Path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    with RunLogger(spec_with(tensorboard=True), tmp_path, TASKS) as logger:
        for i in range(3):
            logger.log_stage(i, stage_record(i), {"bwt": -0.6} if i == 2 else None)
    acc = EventAccumulator(str(tmp_path / "tensorboard"))
    acc.Reload()
    t0 = acc.Scalars("accuracy/t0_a_b")
    assert [(e.step, round(e.value, 6)) for e in t0] == [(0, 0.9), (1, 0.3), (2, 0.1)]
    assert [(e.step, round(e.value, 6)) for e in acc.Scalars("metrics/bwt")] == [(2, -0.6)]
    assert acc.Tags()["tensors"] == ["spec/text_summary"]  # the spec, as text


def test_mlflow_run_holds_params_and_metrics(tmp_path: Path):
    pytest.importorskip("mlflow")
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    spec = spec_with(mlflow=True, mlflow_tracking_uri=uri, mlflow_experiment="reports-test")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "results.json").write_text("{}")
    with RunLogger(spec, run_dir, TASKS) as logger:
        for i in range(3):
            logger.log_stage(i, stage_record(i), None)
    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(logger_run_id(client))
    assert run.info.status == "FINISHED" and run.data.params["train.lr"] == "0.002"
    history = client.get_metric_history(run.info.run_id, "accuracy/t0_a_b")
    assert [(m.step, m.value) for m in history] == [(0, 0.9), (1, 0.3), (2, 0.1)]


def logger_run_id(client) -> str:
    exp = client.get_experiment_by_name("reports-test")
    return client.search_runs([exp.experiment_id])[0].info.run_id
