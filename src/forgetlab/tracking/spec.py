"""`[log]` in the experiment spec: optional TensorBoard, MLflow and W&B logging, off by default.

[log]
tensorboard = true                  # event files in RUN_DIR/tensorboard (or tensorboard_dir)
mlflow = true
mlflow_tracking_uri = "sqlite:///mlflow.db"   # default: MLflow's ($MLFLOW_TRACKING_URI, ./mlruns)
mlflow_experiment = "wordnet"       # default: the spec's name
wandb = true                        # Weights & Biases; WANDB_MODE=offline works without network
wandb_project = "forgetting"        # default: the spec's name
wandb_mode = "offline"              # default: wandb's own (WANDB_MODE, then online)

Each needs its own package: `pip install "forgetlab[log]"` (tensorboard, mlflow) or
`pip install "forgetlab[wandb]"`.
"""

from __future__ import annotations

from typing import Literal

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
    wandb: bool = Field(False, description="log params, per-stage metrics and files to W&B")
    wandb_project: str | None = Field(None, description="W&B project (default: the spec's name)")
    wandb_entity: str | None = Field(None, description="W&B entity (default: your default one)")
    wandb_mode: Literal["online", "offline", "disabled"] | None = Field(
        None, description="W&B mode (default: $WANDB_MODE, else online); offline: RUN_DIR/wandb"
    )
