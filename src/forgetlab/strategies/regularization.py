"""Importance-weighted L2 to earlier weights, shared by EWC and MAS.

    penalty = lambda / 2 * sum_i importance_i * (theta_i - anchor_i)^2

Importances are estimated on the trainable parameters at the end of each task. With
`normalize` (the default) they are divided by their mean over all parameters, so `lambda`
means the same on any model: raw Fisher values of MiniLM are about 2e-6 per parameter,
which would make a lambda of 1000 a thousand times weaker than the task loss.
Offline mode keeps one (importance, anchor) pair per task; online mode keeps one running
pair, old importance decayed by `gamma` (online EWC, Schwarz et al. 2018).
"""

from __future__ import annotations

import torch
from pydantic import Field, NonNegativeFloat, PositiveInt

from forgetlab.spec.base import SpecModel
from forgetlab.strategies.base import Strategy, TaskContext


class ImportanceSpec(SpecModel):
    lambda_: NonNegativeFloat = Field(10.0, description="penalty weight (on mean-1 importances)")
    samples: PositiveInt = Field(256, description="examples of the task used for importance")
    normalize: bool = Field(True, description="divide importances by their mean")
    online: bool = Field(False, description="one running importance/anchor pair")
    gamma: float = Field(1.0, ge=0, le=1, description="online: decay of older importance")


class ImportanceRegularizer(Strategy):
    """Subclasses implement `importance(ctx, batches) -> {name: tensor}`."""

    def importance(self, ctx: TaskContext, batches) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def end_task(self, ctx: TaskContext) -> None:
        if ctx.stage == len(ctx.stream.tasks) - 1:
            return  # no later task to protect this one from
        task = list(ctx.task.train)
        examples = ctx.rng.sample(task, min(self.spec.samples, len(task)))
        batches = [
            (b, ctx.stream.candidate_mask(ctx.stage, b.task_ids))
            for b in ctx.collated(examples, ctx.train.batch_size, by_length=True)
        ]
        imp = self.importance(ctx, batches)
        if self.spec.normalize:
            mean = torch.cat([v.flatten() for v in imp.values()]).mean().clamp_min(1e-30)
            imp = {n: v / mean for n, v in imp.items()}
        anchor = {n: p.detach().clone() for n, p in ctx.learner.named_parameters() if n in imp}
        terms = getattr(self, "terms_", [])
        if self.spec.online and terms:
            old, _ = terms[0]
            imp = {n: v + self.spec.gamma * old.get(n, 0.0) for n, v in imp.items()}
            terms = []
        self.terms_ = [*terms, (imp, anchor)]

    def penalty(self, ctx: TaskContext, batch, out) -> torch.Tensor | None:
        if not getattr(self, "terms_", None):
            return None
        params = dict(ctx.learner.named_parameters())
        total = out.loss.new_zeros(())
        for imp, anchor in self.terms_:
            for n, w in imp.items():
                total = total + (w * (params[n] - anchor[n]) ** 2).sum()
        return self.spec.lambda_ / 2 * total
