"""TensorBoard, MLflow and W&B writers behind one small interface, imported only when enabled.

writer = TensorBoardWriter(Path("runs/x/tensorboard"))
writer.scalars({"accuracy/t0": 0.9}, step=0); writer.close()
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from forgetlab.errors import SpecError


def require(module: str, field: str, package: str) -> None:
    """SpecError naming the spec field when the backend's package is not installed."""
    if importlib.util.find_spec(module) is None:
        raise SpecError(
            f"{field}: enabled but the {package!r} package is not installed; "
            f'pip install {package} (or "forgetlab[log]")'
        )


class TensorBoardWriter:
    """Scalars and text through torch.utils.tensorboard (needs the `tensorboard` package)."""

    def __init__(self, logdir: Path) -> None:
        require("tensorboard", "log.tensorboard", "tensorboard")
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(logdir))

    def params(self, params: dict[str, Any], spec_text: str) -> None:
        self.writer.add_text("spec", "```toml\n" + spec_text + "\n```", 0)

    def scalars(self, values: dict[str, float], step: int) -> None:
        for name, value in values.items():
            self.writer.add_scalar(name, value, step)
        self.writer.flush()

    def files(self, paths: list[Path]) -> None:
        """TensorBoard has no files; the run directory keeps them."""

    def close(self, status: str) -> None:
        self.writer.close()


class MLflowWriter:
    """One MLflow run through `MlflowClient` (no global active-run state)."""

    def __init__(self, tracking_uri: str | None, experiment: str, run_name: str) -> None:
        require("mlflow", "log.mlflow", "mlflow")
        from mlflow.tracking import MlflowClient

        self.client = MlflowClient(tracking_uri=tracking_uri)
        found = self.client.get_experiment_by_name(experiment)
        exp_id = found.experiment_id if found else self.client.create_experiment(experiment)
        self.run_id = self.client.create_run(exp_id, run_name=run_name).info.run_id

    def params(self, params: dict[str, Any], spec_text: str) -> None:
        from mlflow.entities import Param

        items = [Param(k, str(v)[:500]) for k, v in params.items()]
        for i in range(0, len(items), 100):  # MLflow takes at most 100 params per batch
            self.client.log_batch(self.run_id, params=items[i : i + 100])
        self.client.log_text(self.run_id, spec_text, "spec.toml")

    def scalars(self, values: dict[str, float], step: int) -> None:
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        metrics = [Metric(k, float(v), now, step) for k, v in values.items()]
        self.client.log_batch(self.run_id, metrics=metrics)

    def files(self, paths: list[Path]) -> None:
        for path in paths:
            if path.is_file():
                self.client.log_artifact(self.run_id, str(path))

    def close(self, status: str) -> None:
        self.client.set_terminated(self.run_id, status=status)


class WandbWriter:
    """One Weights & Biases run through the Run object `wandb.init` returns (its own run:
    `reinit="create_new"`, so no global `wandb.run` is reused). `mode` None: wandb's own
    choice (WANDB_MODE, then online); "offline" writes RUN_DIR/wandb/ for `wandb sync`."""

    def __init__(
        self,
        project: str,
        run_name: str,
        run_dir: Path,
        entity: str | None = None,
        mode: str | None = None,
    ) -> None:
        require("wandb", "log.wandb", "wandb")
        import wandb

        settings = wandb.Settings(
            silent=True, console="off", save_code=False, x_disable_stats=True, x_disable_meta=True
        )
        self.run_dir = Path(run_dir)
        self.run = wandb.init(
            project=project,
            entity=entity,
            name=run_name,
            dir=str(self.run_dir),
            mode=mode,
            reinit="create_new",
            settings=settings,
        )

    def params(self, params: dict[str, Any], spec_text: str) -> None:
        self.run.config.update(params, allow_val_change=True)

    def scalars(self, values: dict[str, float], step: int) -> None:
        self.run.log(dict(values), step=step)

    def files(self, paths: list[Path]) -> None:
        for path in paths:
            if path.is_file():
                self.run.save(str(path), base_path=str(path.parent), policy="now")

    def close(self, status: str) -> None:
        self.run.finish(exit_code=0 if status == "FINISHED" else 1)
