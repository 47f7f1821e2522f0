"""`tracking`: with `[log]` (TensorBoard, MLflow, W&B), every stage's accuracies, losses and
seconds, and the run's figures at the end, go to the enabled backends."""

from __future__ import annotations

from forgetlab.observers.base import Observer, ObserverEnv, StageView, register
from forgetlab.tracking.spec import LogSpec


@register("tracking", help="per-stage scalars to TensorBoard / MLflow / W&B ([log])")
class Tracking(Observer):
    section = "log"
    Spec = LogSpec
    optional = False

    def __init__(self, spec, env: ObserverEnv) -> None:
        self.spec, self.env = spec, env
        self.logger = None  # RunLogger, opened at the first record (it creates files)
        self.last = None  # the last stage's record, logged with the figures at close
        self.total_steps = 0  # optimizer steps so far (step-level logging)
        self.steps_before: dict[int, int] = {}

    @classmethod
    def build(cls, spec, env: ObserverEnv) -> Tracking | None:
        from forgetlab.tracking import check_backends

        log = spec.log
        if env.run_dir is None or not (log.tensorboard or log.mlflow or log.wandb):
            return None
        check_backends(spec.log)  # a missing package fails before anything is written
        return cls(spec, env)

    def _logger(self):
        from forgetlab.tracking import RunLogger

        if self.logger is None:
            self.logger = RunLogger(self.spec, self.env.run_dir, self.env.stream.task_names)
        return self.logger

    def after_stage(self, view: StageView) -> None:
        record = {k: v for rec in view.earlier.values() for k, v in (rec or {}).items()}
        stats = view.stats
        record.update(
            stage=view.stage,
            train_s=stats.seconds,
            mean_loss=stats.mean_loss,
            last_loss=stats.last_loss,
        )
        if view.stage == len(view.stream.tasks) - 1:
            self.last = record  # logged at close, with the run's figures
            return
        self._logger().log_stage(view.stage, record, None)

    def on_train_log(self, stage: int, step: int, values: dict) -> None:
        """Step-level scalars (train/step_loss, train/lr, train/tokens_per_s), their step
        numbered across stages."""
        self.steps_before.setdefault(stage, self.total_steps)
        self.total_steps = self.steps_before[stage] + step
        scalars = {f"train/step_{k}" if k == "loss" else f"train/{k}": v for k, v in values.items()}
        for w in self._logger().writers:
            w.scalars(scalars, self.total_steps)

    def close(self, results: dict | None, failed: bool) -> None:
        if self.last is not None:
            metrics = (results or {}).get("metrics") if not failed else None
            self._logger().log_stage(self.last["stage"], self.last, metrics)
        if self.logger is not None:
            self.logger.close(failed=failed)
