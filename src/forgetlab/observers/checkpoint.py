"""`checkpoint`: save the weights that trained (safetensors) after the last stage
(`train.checkpoint = "last"`), after every stage (`"every"`), or never (`"none"`)."""

from __future__ import annotations

from forgetlab.observers.base import Observer, ObserverEnv, StageView, register


@register("checkpoint", help="trained weights as safetensors: last stage, every stage or none")
class Checkpoint(Observer):
    def __init__(self, mode: str, env: ObserverEnv) -> None:
        from forgetlab.runs.store import RunStore

        self.mode = mode
        self.store = RunStore(env.run_dir)
        self.last_stage = len(env.stream.tasks) - 1

    @classmethod
    def build(cls, spec, env: ObserverEnv) -> Checkpoint | None:
        if env.run_dir is None or spec.train.checkpoint == "none":
            return None
        return cls(spec.train.checkpoint, env)

    def after_stage(self, view: StageView) -> None:
        last = view.stage == self.last_stage
        if self.mode == "every" or last:
            tag = "last" if self.mode == "last" else f"stage_{view.stage:03d}"
            manifest = {"stage": view.stage, **view.learner.extra_state()}
            self.store.save_checkpoint(view.learner, tag, manifest, view.touched)
