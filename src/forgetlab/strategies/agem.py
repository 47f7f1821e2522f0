"""`agem`: A-GEM (Chaudhry et al., ICLR 2019). The episodic memory's gradient constrains
every update: when the step's gradient g would increase the loss on the memory (g . g_ref < 0,
g_ref the gradient of the loss on a sample of the memory), it is projected to
g - (g . g_ref / g_ref . g_ref) g_ref, the closest gradient that does not; else it is kept.

[strategy]
kind = "agem"
memory_size = 200          # examples (or memory_fraction = 0.1 of each task), as `er`
selection = "reservoir"    # or "class_balanced"
sample_size = 32           # memory examples per reference gradient (default: the batch size)

The projection runs in the `adjust_gradients` hook (after backward, before clipping and the
optimizer step), over the parameters the stage trains, flattened into one vector. The memory
is filled after each stage with `er`'s policies, so the two compare at the same size. The
reference gradient costs one forward and backward on the memory sample per step
(`strategy_cost.agem.adjust_gradients_s`); `strategy_info.agem` counts projected steps.
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field, PositiveInt, model_validator

from forgetlab.retrieval.store import capacity, check_size
from forgetlab.spec.base import SpecModel
from forgetlab.strategies.base import Strategy, TaskContext, strategies
from forgetlab.strategies.buffers import ReplayMemory


class AGEMSpec(SpecModel):
    kind: Literal["agem"] = "agem"
    memory_size: PositiveInt | None = Field(
        None, description="examples kept in memory (default 200; or memory_fraction, or all)"
    )
    memory_fraction: float | None = Field(
        None, gt=0, le=1, description="instead: keep this share of each task's examples"
    )
    selection: Literal["reservoir", "class_balanced"] = "reservoir"
    sample_size: PositiveInt | None = Field(
        None, description="memory examples per reference gradient (default: the batch size)"
    )

    @model_validator(mode="after")
    def _size(self) -> AGEMSpec:
        check_size(self)
        return self


def project(g: torch.Tensor, ref: torch.Tensor) -> tuple[torch.Tensor, bool]:
    """A-GEM's rule on flat gradients: (g projected off -ref if g . ref < 0, whether it was)."""
    dot = torch.dot(g, ref)
    if dot >= 0:
        return g, False
    return g - (dot / torch.dot(ref, ref)) * ref, True


def _flat(grads, like: list[torch.Tensor]) -> torch.Tensor:
    """One vector of the gradients (zeros where a parameter has none)."""
    return torch.cat(
        [(g if g is not None else torch.zeros_like(p)).reshape(-1) for g, p in zip(grads, like)]
    )


@strategies.register("agem", help="A-GEM: project updates that would raise the memory's loss")
class AGEM(Strategy):
    Spec = AGEMSpec
    replays = True

    def begin_task(self, ctx: TaskContext) -> None:
        if not hasattr(self, "memory_"):
            self.memory_ = ReplayMemory(0, self.spec.selection)
            self.steps_ = 0
            self.projected_ = 0

    def adjust_gradients(self, ctx: TaskContext, params):
        if not len(self.memory_):
            return None
        n = self.spec.sample_size or ctx.train.batch_size
        batch = ctx.learner.collate(self.memory_.sample(n, ctx.rng)).to(ctx.device)
        mask = ctx.stream.candidate_mask(ctx.stage, batch.task_ids)
        names = list(params)
        with torch.enable_grad():
            loss = ctx.learner(batch, mask).loss
            ref = torch.autograd.grad(loss, [params[k] for k in names], allow_unused=True)
        like = [params[k] for k in names]
        g, projected = project(_flat([p.grad for p in like], like), _flat(ref, like))
        self.steps_ += 1
        if not projected:
            return None
        self.projected_ += 1
        out, start = {}, 0
        for k in names:
            size = params[k].numel()
            out[k] = g[start : start + size].view_as(params[k])
            start += size
        return out

    def end_task(self, ctx: TaskContext) -> None:
        self.memory_.capacity = capacity(self.spec, ctx.stream, ctx.stage)
        self.memory_.add(ctx.encode(list(ctx.task.train)), ctx.rng)

    def summary(self) -> dict:
        if not hasattr(self, "memory_"):
            return {}
        return {
            "stored": len(self.memory_),
            "steps_with_memory": self.steps_,
            "projected_steps": self.projected_,
        }
