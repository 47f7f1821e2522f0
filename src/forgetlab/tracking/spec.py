"""`[log]` in the experiment spec: optional TensorBoard and MLflow logging, off by default.

[log]
tensorboard = true                  # event files in RUN_DIR/tensorboard (or tensorboard_dir)
mlflow = true
mlflow_tracking_uri = "sqlite:///mlflow.db"   # default: MLflow's ($MLFLOW_TRACKING_URI, ./mlruns)
mlflow_experiment = "wordnet"       # default: the spec's name

Both need their own packages: `pip install "forgetlab[log]"` (or just `tensorboard` / `mlflow`).
"""

from __future__ import annotations

from pydantic import Field

from forgetlab.spec.base import SpecModel


class LogSpec(SpecModel):
    tensorboard: bool = Field(False, description="write TensorBoard scalars per stage")
    tensorboard_dir: str | None = Field(
        None, description="event file folder (default: RUN_DIR/tensorboard)"
    )
    mlflow: bool = Field(False, description="log params, per-stage metrics and files to MLflow")
    mlflow_tracking_uri: str | None = Field(
        None, description="MLflow tracking URI (default: MLflow's, e.g. $MLFLOW_TRACKING_URI)"
    )
    mlflow_experiment: str | None = Field(
        None, description="MLflow experiment name (default: the spec's name)"
    )
