"""Importance-weighted L2 to earlier weights, shared by EWC and MAS.

    penalty = lambda / 2 * sum_t sum_i F_t,i * (theta_i - theta*_t,i)^2

F_t is task t's importance (estimated at the end of its stage on `samples` of its examples),
theta*_t the weights then. Offline mode keeps every task's term; online mode keeps one
running pair, the old importance decayed by `gamma` and the anchor moved to the newest
weights (online EWC, Schwarz et al. 2018).

Offline terms are stored merged, not one pair per task: sum_t F_t (theta - theta*_t)^2 equals
A (theta - c)^2 + k with A = sum_t F_t, c the F-weighted mean of the anchors and k a constant,
so the penalty, its gradient and its memory are those of a single pair however many tasks
have passed. Importances and anchors are kept in the parameters' dtype.

Scale (`normalize`). Raw importances depend on the model and the task (MiniLM's raw Fisher
is about 3e-6 per parameter), so a bare lambda means nothing across models:
- "first_task" (default): every task's importance is divided by one constant, the mean
  importance of the first task. lambda is then relative to the first task's curvature, and
  later tasks keep their own relative size (a flatter task is protected less);
- "per_task": each task's importance divided by its own mean, so every task gets the same
  total importance whatever its curvature. With offline terms stacking up, the newest task
  is held by T-1 unit-mean terms and barely learns (MiniLM quickstart: last task 0.007);
  kept only to reproduce older runs;
- "none": raw importances, lambda on the estimator's own scale.
`summary()` (results.json, `strategy_info`) records each task's raw mean importance and the
effective lambda on raw importances (lambda / scale) for every task.
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field, NonNegativeFloat, PositiveInt

from forgetlab.spec.base import SpecModel
from forgetlab.strategies.base import Strategy, TaskContext


class ImportanceSpec(SpecModel):
    lambda_: NonNegativeFloat = Field(10.0, description="penalty weight (see normalize)")
    samples: PositiveInt = Field(256, description="examples of the task used for importance")
    normalize: Literal["first_task", "per_task", "none"] = Field(
        "first_task", description="importance scale: first task's mean, each task's, or raw"
    )
    online: bool = Field(False, description="one running importance/anchor pair")
    gamma: float = Field(1.0, ge=0, le=1, description="online: decay of older importance")
    chunk_mb: PositiveInt = Field(
        64, description="MiB of per-sample gradient held at once while estimating importance"
    )


def mean_importance(imp: dict[str, torch.Tensor]) -> float:
    """Mean over every entry of every parameter's importance (summed in float64)."""
    n = sum(v.numel() for v in imp.values())
    return sum(float(v.double().sum()) for v in imp.values()) / max(n, 1)


def merge_offline(
    weight: dict[str, torch.Tensor],
    center: dict[str, torch.Tensor],
    imp: dict[str, torch.Tensor],
    anchor: dict[str, torch.Tensor],
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], float]:
    """(A, c) and a new term (F, theta*) -> (A', c', dk) with
    A (theta - c)^2 + F (theta - theta*)^2 = A' (theta - c')^2 + dk for every theta."""
    out_w, out_c, dk = dict(weight), dict(center), 0.0
    for n, f in imp.items():
        dtype = f.dtype
        f, t = f.float(), anchor[n].float()
        a = weight[n].float() if n in weight else torch.zeros_like(f)
        c = center[n].float() if n in center else t
        total = a + f
        mean = torch.where(total > 0, (a * c + f * t) / total.clamp_min(1e-38), t)
        dk += float((a * (c - mean) ** 2).double().sum() + (f * (t - mean) ** 2).double().sum())
        out_w[n], out_c[n] = total.to(dtype), mean.to(anchor[n].dtype)
    return out_w, out_c, dk


class ImportanceRegularizer(Strategy):
    """Subclasses implement `importance(ctx, examples) -> {name: tensor}` (raw, unscaled)."""

    def importance(self, ctx: TaskContext, examples) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def importance_batches(self, ctx: TaskContext, examples) -> list:
        """(batch, candidate mask) pairs of `examples`, sorted by length (less padding)."""
        return [
            (b, ctx.stream.candidate_mask(ctx.stage, b.task_ids))
            for b in ctx.collated(examples, ctx.train.batch_size, by_length=True)
        ]

    @property
    def budget(self) -> int:
        return self.spec.chunk_mb << 20

    def end_task(self, ctx: TaskContext) -> None:
        if ctx.stage == len(ctx.stream.tasks) - 1:
            return  # no later task to protect this one from
        task = list(ctx.task.train)
        examples = ctx.rng.sample(task, min(self.spec.samples, len(task)))
        raw = self.importance(ctx, examples)
        mean = mean_importance(raw)
        self.task_means_ = [*getattr(self, "task_means_", []), mean]
        scale = self._scale(mean)
        self.scales_ = [*getattr(self, "scales_", []), scale]
        imp = {n: v / scale for n, v in raw.items()}
        anchor = {n: p.detach().clone() for n, p in ctx.learner.named_parameters() if n in imp}
        if not hasattr(self, "weight_"):
            self.weight_, self.center_, self.offset_ = imp, anchor, 0.0
        elif self.spec.online:
            g = self.spec.gamma
            self.weight_ = {
                n: v + g * self.weight_[n] if n in self.weight_ else v for n, v in imp.items()
            }
            self.center_, self.offset_ = anchor, 0.0
        else:
            self.weight_, self.center_, dk = merge_offline(self.weight_, self.center_, imp, anchor)
            self.offset_ += dk

    def _scale(self, mean: float) -> float:
        mode = self.spec.normalize
        if mode == "none":
            return 1.0
        if mode == "per_task" or not getattr(self, "scales_", None):
            return max(mean, 1e-30)
        return self.scales_[0]

    def penalty(self, ctx: TaskContext, batch, out) -> torch.Tensor | None:
        if not hasattr(self, "weight_"):
            return None
        params = dict(ctx.learner.named_parameters())
        total = out.loss.new_zeros(())
        for n, w in self.weight_.items():
            total = total + ((params[n] - self.center_[n]).square() * w).sum()
        return self.spec.lambda_ / 2 * (total + self.offset_)

    def summary(self) -> dict:
        if not hasattr(self, "task_means_"):
            return {}
        return {
            "normalize": self.spec.normalize,
            "raw_importance_mean": self.task_means_,
            "effective_lambda": [self.spec.lambda_ / s for s in self.scales_],
        }
