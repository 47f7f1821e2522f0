"""RunLogger: send a run's per-stage numbers to TensorBoard, MLflow and/or W&B (`[log]`).

logger = RunLogger(spec, run_dir, tasks=stream.task_names)   # SpecError if a backend is missing
logger.log_stage(stage, record, metrics)   # after each stage (record: StageRecord or its dict)
logger.close()                             # or close(failed=True); also a context manager

Logged per stage (step = stage): accuracy/<task>, accuracy/mean_seen, train/mean_loss,
train/last_loss, time/train_s, time/eval_s, group_accuracy/<task>/<group>, and the run's
figures (metrics/<name>) when given. With everything off, it does nothing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from forgetlab.tracking.backends import MLflowWriter, TensorBoardWriter, WandbWriter, require

_UNSAFE = re.compile(r"[^A-Za-z0-9_\-./ ]")


def metric_name(*parts: str) -> str:
    """A tag both backends accept: unsafe characters (':', '+', ...) become '_'."""
    return "/".join(_UNSAFE.sub("_", p) for p in parts)


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        elif isinstance(value, list | tuple) and value and all(isinstance(v, dict) for v in value):
            for i, item in enumerate(value):
                out.update(flatten(item, f"{prefix}{key}.{i}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def check_backends(log) -> None:
    """SpecError now if `[log]` enables a backend whose package is not installed."""
    if log.tensorboard:
        require("tensorboard", "log.tensorboard", "tensorboard")
    if log.mlflow:
        require("mlflow", "log.mlflow", "mlflow")
    if log.wandb:
        require("wandb", "log.wandb", "wandb")


class RunLogger:
    """Fans per-stage scalars out to the enabled backends."""

    def __init__(self, spec, run_dir: str | Path, tasks: list[str]) -> None:
        from forgetlab.spec import dump_spec

        log = spec.log
        check_backends(log)
        self.run_dir = Path(run_dir)
        self.tasks = list(tasks)
        self.writers: list = []
        if log.tensorboard:
            logdir = (
                Path(log.tensorboard_dir) if log.tensorboard_dir else self.run_dir / "tensorboard"
            )
            self.writers.append(TensorBoardWriter(logdir))
        if log.mlflow:
            self.writers.append(
                MLflowWriter(
                    log.mlflow_tracking_uri,
                    log.mlflow_experiment or spec.name,
                    run_name=f"{spec.name}/{self.run_dir.name}",
                )
            )
        if log.wandb:
            self.writers.append(
                WandbWriter(
                    log.wandb_project or spec.name,
                    run_name=f"{spec.name}/{self.run_dir.name}",
                    run_dir=self.run_dir,
                    entity=log.wandb_entity,
                    mode=log.wandb_mode,
                )
            )
        params = flatten(spec.model_dump(mode="json", exclude_none=True))
        for w in self.writers:
            w.params(params, dump_spec(spec))

    def stage_scalars(self, record: Any, metrics: dict[str, float | None] | None) -> dict:
        rec = record if isinstance(record, dict) else record.model_dump()
        acc = list(rec.get("accuracy") or [])
        stage = int(rec["stage"])
        values = {metric_name("accuracy", t): a for t, a in zip(self.tasks, acc)}
        seen = acc[: stage + 1]
        if seen:
            values["accuracy/mean_seen"] = sum(seen) / len(seen)
        for key in ("mean_loss", "last_loss"):
            if rec.get(key) is not None:
                values[f"train/{key}"] = rec[key]
        for key in ("train_s", "eval_s"):
            if rec.get(key) is not None:
                values[f"time/{key}"] = rec[key]
        for task, groups in (rec.get("group_accuracy") or {}).items():
            for group, a in groups.items():
                values[metric_name("group_accuracy", task, group)] = a
        for name, v in (metrics or {}).items():
            if v is not None:
                values[metric_name("metrics", name)] = v
        return {k: float(v) for k, v in values.items()}

    def log_stage(self, stage: int, record: Any, metrics: dict[str, float | None] | None) -> None:
        """Log one finished stage (its StageRecord) and, when known, the run's figures."""
        if not self.writers:
            return
        values = self.stage_scalars(record, metrics)
        for w in self.writers:
            w.scalars(values, stage)

    def close(self, failed: bool = False) -> None:
        """Attach results.json, scores.csv, report.html (MLflow, W&B) and end the backends'
        runs."""
        files = [self.run_dir / n for n in ("results.json", "scores.csv", "report.html")]
        for w in self.writers:
            if not failed:
                w.files(files)
            w.close("FAILED" if failed else "FINISHED")
        self.writers = []

    def __enter__(self) -> RunLogger:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(failed=exc_type is not None)
