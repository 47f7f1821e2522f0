"""`ewc`: elastic weight consolidation (Kirkpatrick et al. 2017), offline or online.

Importance is the diagonal Fisher information: the mean squared per-sample gradient of the
log-likelihood of a label.

- `fisher = "true"` (default): the label is drawn from the model's own predictive
  distribution over the example's competing candidates (`fisher_samples` draws per example,
  from a generator derived from the run's seed), as Kirkpatrick et al. and most later work
  do: the expected curvature of the model's own likelihood, whatever the data's labels.
- `fisher = "empirical"`: the example's true label. Cheaper to explain, but it is the squared
  gradient of the training loss, near zero on examples the model already fits, so it
  protects exactly the weights that mattered least for the fit (Kunstner et al. 2019).

Text-to-text learners draw among the candidate label words, scored by their log-likelihood
after the prompt, and differentiate the label tokens' loss of the drawn label.

    [strategy]
    kind = "ewc"
    lambda_ = 10.0        # on importances / the first task's mean (see regularization.py)
    fisher = "true"       # or "empirical"
    fisher_samples = 1    # label draws per example (true Fisher)
    online = false
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import torch
from pydantic import Field, PositiveInt

from forgetlab.strategies.base import TaskContext, strategies
from forgetlab.strategies.importance import accumulate
from forgetlab.strategies.per_sample import task_losses
from forgetlab.strategies.regularization import ImportanceRegularizer, ImportanceSpec


class EWCSpec(ImportanceSpec):
    kind: Literal["ewc"] = "ewc"
    fisher: Literal["true", "empirical"] = Field(
        "true", description="labels drawn from the model (true) or the data's (empirical)"
    )
    fisher_samples: PositiveInt = Field(1, description="true Fisher: label draws per example")


@torch.no_grad()
def draw_labels(learner, batch, mask: torch.Tensor, k: int, gen: torch.Generator) -> torch.Tensor:
    """(k, B) labels drawn from the learner's predictive distribution over each example's
    competing classes (softmax of `learner.scores` over the candidates `mask` allows)."""
    candidates = mask.any(0).nonzero().flatten()
    scores = learner.scores(batch, tuple(candidates.tolist())).float()
    scores = scores.masked_fill(~mask[:, candidates], float("-inf"))
    picks = torch.multinomial(scores.softmax(-1).cpu(), k, replacement=True, generator=gen)
    return candidates.cpu()[picks].T


@strategies.register("ewc", help="EWC: Fisher-weighted L2 to old weights (true/empirical Fisher)")
class EWC(ImportanceRegularizer):
    Spec = EWCSpec

    def importance(self, ctx: TaskContext, examples) -> dict[str, torch.Tensor]:
        batches = self.importance_batches(ctx, examples)
        if self.spec.fisher == "true":
            batches = self.sampled(ctx, examples, batches)
        return accumulate(
            ctx.learner, batches, torch.Tensor.square_, task_losses, budget=self.budget
        )

    def sampled(self, ctx: TaskContext, examples, batches) -> list:
        """The batches' examples `fisher_samples` times, with labels drawn from the model
        (the copies of a batch packed into batches of train.batch_size rows)."""
        learner, by_uid = ctx.learner, {e.uid: e for e in examples}
        gen = torch.Generator().manual_seed(ctx.rng.getrandbits(63))
        size = ctx.train.batch_size
        was_training = learner.training
        learner.eval()
        out = []
        try:
            for batch, mask in batches:
                uids = batch.uids.tolist()
                drawn = [
                    learner.encode(dataclasses.replace(by_uid[u], label=int(c)))
                    for labels in draw_labels(learner, batch, mask, self.spec.fisher_samples, gen)
                    for u, c in zip(uids, labels)
                ]
                for i in range(0, len(drawn), size):
                    b = learner.collate(drawn[i : i + size]).to(ctx.device)
                    out.append((b, ctx.stream.candidate_mask(ctx.stage, b.task_ids)))
        finally:
            learner.train(was_training)
        return out
