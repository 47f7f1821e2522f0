"""`memory`: each stage's peak resident memory (train + eval + the other observers) and, on
CUDA, its peak allocated memory: `peak_rss_mb`, `peak_cuda_mb` in the stage's record."""

from __future__ import annotations

from forgetlab.observers.base import Observer, StageView, register


@register("memory", help="peak RSS (and CUDA) memory of every stage")
class Memory(Observer):
    def before_stage(self, view: StageView) -> None:
        from forgetlab.runs.memory import reset_peaks

        reset_peaks()

    def after_stage(self, view: StageView) -> dict:
        from forgetlab.runs.memory import peaks

        return peaks()
