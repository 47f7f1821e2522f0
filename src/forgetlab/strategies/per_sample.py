"""Per-sample losses and gradients: the objectives EWC and MAS differentiate, and the
one-example-at-a-time gradient loop.

EWC's diagonal Fisher is the mean of squared per-sample gradients of the loss; MAS's
importance is the mean absolute per-sample gradient of the squared output norm. Objectives
return one value per example, shape (B,), so the same function serves the batched pass (whose
per-sample gradients come from layer hooks, `layer_grads.py`) and `per_sample_loop`, one
backward pass per unpadded example: exact for any model (packed LSTMs, tied weights), used for
the parameters no layer rule covers and as the reference in tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import fields, replace

import torch
import torch.nn.functional as F

from forgetlab.models.batch import Batch, ModelOutput

# objective(learner output, batch) -> (B,) one value per example
Objective = Callable[[ModelOutput, Batch], torch.Tensor]


def task_losses(out: ModelOutput, batch: Batch) -> torch.Tensor:
    """(B,) the learner's loss per example: cross-entropy over the competing classes, or the
    mean negative log-likelihood of the label tokens (text-to-text)."""
    if out.logits is not None:
        return F.cross_entropy(out.logits, batch.labels, reduction="none")
    logits, targets = out.token_logits[:, :-1].float(), batch.target_ids[:, 1:]
    nll = F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=-100, reduction="none")
    return nll.sum(1) / (targets != -100).sum(1).clamp_min(1)


def squared_output_norms(out: ModelOutput, batch: Batch) -> torch.Tensor:
    """(B,) MAS: ||f(x)||^2 of the competing logits (classifiers) or, text-to-text, the label's
    negative log-likelihood."""
    if out.logits is None:
        return task_losses(out, batch)
    logits = out.logits.masked_fill(torch.isinf(out.logits), 0.0)
    return (logits**2).sum(-1)


def rows(batch: Batch, sl: slice) -> Batch:
    """Examples `sl` of a collated batch (padding columns kept)."""
    return replace(
        batch,
        **{
            f.name: getattr(batch, f.name)[sl]
            for f in fields(batch)
            if isinstance(getattr(batch, f.name), torch.Tensor)
        },
    )


def scatter_rows(
    total: torch.Tensor,
    ids: torch.Tensor,
    grads: torch.Tensor,
    reduce: Callable[[torch.Tensor], torch.Tensor],
) -> None:
    """total[v] += sum over examples s of reduce(sum of grads[s, t] over t with ids[s, t] = v):
    the embedding rows of reduce(per-sample gradient), summed over the batch, in place."""
    B, T = ids.shape
    vocab = total.shape[0]
    keys = (torch.arange(B, device=ids.device)[:, None] * vocab + ids).reshape(-1)
    unique, inverse = torch.unique(keys, return_inverse=True)
    rows = grads.new_zeros((len(unique), grads.shape[-1]))
    rows.index_add_(0, inverse, grads.reshape(B * T, -1))
    total.index_add_(0, unique % vocab, reduce(rows).to(total.dtype))


def unpadded(batch: Batch, i: int) -> Batch:
    """Example `i` of a right-padded batch alone, cut to its real length."""
    n = int(batch.attention_mask[i].sum())
    one = rows(batch, slice(i, i + 1))
    cut = {
        f: getattr(one, f)[:, :n]
        for f in ("input_ids", "attention_mask", "target_ids")
        if getattr(one, f) is not None
    }
    return replace(one, **cut, backbone_mask=None)


def per_sample_loop(
    learner,
    batch: Batch,
    mask: torch.Tensor,
    params: dict[str, torch.Tensor],
    objective: Objective = task_losses,
) -> Iterator[dict[str, torch.Tensor]]:
    """{name: gradient} of `objective` for each example of `batch` in turn, for `params`
    (names of the learner's parameters), one backward pass per unpadded example."""
    named = dict(learner.named_parameters())
    wanted = [named[n] for n in params]
    for i in range(len(batch)):
        one = unpadded(batch, i)
        loss = objective(learner(one, mask[i : i + 1]), one).sum()
        grads = torch.autograd.grad(loss, wanted, allow_unused=True)
        yield {n: torch.zeros_like(p) if g is None else g for n, p, g in zip(params, wanted, grads)}


def stacked_loop(learner, batch, mask, params, objective: Objective = task_losses):
    """{name: (B, *shape)}: `per_sample_loop` stacked (tests and benchmarks)."""
    grads = list(per_sample_loop(learner, batch, mask, params, objective))
    return {n: torch.stack([g[n] for g in grads]) for n in params}
