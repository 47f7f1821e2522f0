"""Importance weights: the mean over examples of |per-sample gradient|^p, per parameter.

    imp = accumulate(learner, [(batch, mask), ...], SQUARE, task_losses)

EWC's Fisher diagonal is SQUARE on the loss; MAS's importance is ABS on the squared output
norm. Parameters of standard layers (linear, Conv1D, layer norm, embeddings)
get their per-sample gradients from one batched forward and backward pass with layer hooks
(`layer_grads.py`), each example's gradient of a layer computed into one reused buffer of at
most `budget` bytes and added at once, so memory stays at one training step plus `budget`,
whatever the batch.
The rest (tied embeddings, LSTMs, IA3 vectors...) from one backward pass per unpadded
example (`per_sample.py`), one example's gradient at a time. Sums are kept in float32 (or
the parameters' dtype if wider) and returned in the parameters' dtype.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from forgetlab.models.batch import Batch
from forgetlab.strategies.layer_grads import (
    ABS,
    SQUARE,
    Power,
    frozen_except,
    plan,
    reduce_batch,
    sum_dtype,
)
from forgetlab.strategies.per_sample import Objective, per_sample_loop, task_losses

DEFAULT_BUDGET = 64 << 20  # bytes of per-sample gradient alive at once

__all__ = ["ABS", "SQUARE", "Power", "accumulate"]


def accumulate(
    learner,
    batches: Iterable[tuple[Batch, torch.Tensor]],
    reduce: Power,
    objective: Objective = task_losses,
    budget: int = DEFAULT_BUDGET,
) -> dict[str, torch.Tensor]:
    """{name: mean over all examples of |per-sample gradient of `objective`|^p} (`reduce`:
    SQUARE or ABS) for the trainable parameters, in their dtype. Runs in eval mode (no
    dropout) and leaves the parameters' `.grad` as it found them."""
    live = {n: p for n, p in learner.named_parameters() if p.requires_grad}
    totals = {n: torch.zeros_like(p, dtype=sum_dtype(p)) for n, p in live.items()}
    batches = list(batches)
    count = sum(len(b) for b, _ in batches)
    if not batches or not live:
        return {n: t.to(live[n].dtype) for n, t in totals.items()}
    was_training = learner.training
    learner.eval()
    try:
        first, first_mask = batches[0]
        covered = plan(learner, first, first_mask, live, objective)
        layers = covered.layers
        for batch, mask in batches:
            if layers:
                reduce_batch(learner, batch, mask, objective, layers, totals, reduce, budget)
            if covered.fallback:
                with frozen_except(learner, covered.fallback):
                    for grads in per_sample_loop(learner, batch, mask, covered.fallback, objective):
                        for n, g in grads.items():
                            reduce.add(totals[n], g.to(totals[n].dtype))
    finally:
        learner.train(was_training)
    return {n: t.div_(max(count, 1)).to(live[n].dtype) for n, t in totals.items()}
