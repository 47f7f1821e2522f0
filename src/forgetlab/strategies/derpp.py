"""`derpp`: DER++ (Buzzega et al. 2020). A reservoir memory of past examples with the logits
the model gave them when they were stored; the loss adds alpha * MSE to those logits
(dark knowledge) and beta * cross-entropy on other memory examples.

Replay batches are drawn among memory examples of similar length (each example still with
the same chance, `ReplayMemory.sample_similar`), so they carry little padding.

Classifiers only. The stored logits are those of every head block (all classes of the
stream, trained or not), as in the reference implementation, so the MSE also keeps the
scores of classes that arrive later from growing on old examples.
"""

from __future__ import annotations

import random
from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import Field, NonNegativeFloat, PositiveInt

from forgetlab.spec.base import SpecModel
from forgetlab.strategies.base import Strategy, TaskContext, strategies
from forgetlab.strategies.buffers import ReplayMemory


class DERPPSpec(SpecModel):
    kind: Literal["derpp"] = "derpp"
    memory_size: PositiveInt = Field(200, description="examples (with logits) in memory")
    alpha: NonNegativeFloat = Field(0.3, description="weight of the logit-matching MSE")
    beta: NonNegativeFloat = Field(0.5, description="weight of the memory cross-entropy")
    replay_batch_size: PositiveInt | None = Field(None, description="default: train.batch_size")


@strategies.register("derpp", help="DER++: replay with stored logits (MSE) plus labels (CE)")
class DERPP(Strategy):
    Spec = DERPPSpec
    replays = True
    requires = {"mode": ("classifier", "it replays class logits")}

    def begin_task(self, ctx: TaskContext) -> None:
        if not hasattr(self, "memory_"):
            self.memory_ = ReplayMemory(self.spec.memory_size, "reservoir")
            self.rng_ = random.Random(ctx.rng.getrandbits(64))  # derived from the run's seed

    def _replay(self, ctx: TaskContext, k: int):
        picked = self.memory_.sample_similar(k, self.rng_)  # similar lengths: little padding
        batch = ctx.learner.collate([e for e, _ in picked]).to(ctx.device)
        return batch, ctx.stream.candidate_mask(ctx.stage, batch.task_ids), picked

    def penalty(self, ctx: TaskContext, batch, out) -> torch.Tensor | None:
        k = self.spec.replay_batch_size or ctx.train.batch_size
        extra = None
        if len(self.memory_) > 0:
            mem, mask, picked = self._replay(ctx, k)
            logits = self._all_logits(ctx, ctx.learner(mem, mask).features)
            stored = torch.stack([z for _, z in picked]).to(logits.device)
            mse = F.mse_loss(logits, stored)
            mem2, mask2, _ = self._replay(ctx, k)
            ce = ctx.learner(mem2, mask2).loss
            extra = self.spec.alpha * mse + self.spec.beta * ce
        # store this batch with the logits it got now (reservoir over the whole stream)
        logits = self._all_logits(ctx, out.features).detach().cpu()
        self.memory_.add(zip(ctx.encode_batch(batch), logits), self.rng_)
        return extra

    @staticmethod
    def _all_logits(ctx: TaskContext, features: torch.Tensor) -> torch.Tensor:
        return ctx.learner.heads(features, list(range(len(ctx.stream.tasks))))
