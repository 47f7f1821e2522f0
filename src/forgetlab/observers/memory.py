"""`memory`: each stage's peak resident memory (train + eval + the other observers) and, on
CUDA, its peak allocated memory: `peak_rss_mb`, `peak_cuda_mb` in the stage's record, and
`rss_reset`: whether the RSS peak could be reset before the stage (if not, `peak_rss_mb` is
the peak since the process started)."""

from __future__ import annotations

from forgetlab.observers.base import Observer, StageView, register


@register("memory", help="peak RSS (and CUDA) memory of every stage")
class Memory(Observer):
    reset_: bool = False

    def before_stage(self, view: StageView) -> None:
        from forgetlab.runs.memory import reset_peaks

        self.reset_ = reset_peaks()

    def after_stage(self, view: StageView) -> dict:
        from forgetlab.runs.memory import peaks

        return {**peaks(), "rss_reset": self.reset_}
