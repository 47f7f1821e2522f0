"""Per-sample gradients with torch.func (vmap over grad), for importance weights.

EWC's diagonal Fisher is the mean of squared per-sample gradients of the loss; MAS's
importance is the mean absolute per-sample gradient of the squared output norm. Both need
one gradient per example, which `vmap(grad(f))` computes in one batched pass instead of one
backward pass per example (`per_sample_loop` is the slow reference, kept for tests and the
benchmark).

The word-embedding matrix is the exception: its per-sample gradient is dense in shape
(vocabulary x hidden, 11.7M entries for MiniLM) but non-zero only in the rows of the tokens
the example contains. `accumulate` therefore takes the per-sample gradient with respect to the
embedding *output* (tokens x hidden, through a zero tensor added by a forward hook), sums it
per (example, token id) and scatters reduce(row) into the importance: the same numbers as the
dense path, without materialising batch x vocabulary x hidden. Tied input/output embeddings
(GPT-2's LM head) get gradient from both uses, so they keep the dense path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace

import torch
from torch import nn
from torch.func import functional_call, grad, vmap

from forgetlab.models.batch import Batch, ModelOutput

# objective(learner output, batch) -> scalar
Objective = Callable[[ModelOutput, Batch], torch.Tensor]


def task_loss(out: ModelOutput, batch: Batch) -> torch.Tensor:
    return out.loss


def squared_output_norm(out: ModelOutput, batch: Batch) -> torch.Tensor:
    """MAS: ||f(x)||^2 of the competing logits (classifiers) or the label log-likelihood."""
    if out.logits is None:
        return out.loss
    logits = out.logits.masked_fill(torch.isinf(out.logits), 0.0)
    return (logits**2).sum()


def four_d_mask(attention_mask: torch.Tensor, causal: bool, dtype=torch.float32) -> torch.Tensor:
    """(B, T) padding mask -> (B, 1, T, T) additive float mask (0 = attend, dtype min = not),
    causal if asked. Additive, because eager attention adds the mask to the scores."""
    T = attention_mask.shape[-1]
    keys = attention_mask.bool()[:, None, None, :].expand(-1, 1, T, T)
    if causal:
        keys = keys & torch.ones(T, T, dtype=torch.bool, device=keys.device).tril()
    return torch.zeros(keys.shape, dtype=dtype, device=keys.device).masked_fill(
        ~keys, torch.finfo(dtype).min
    )


def sparse_embedding(learner, params: dict[str, torch.Tensor]) -> tuple[str, nn.Module] | None:
    """(name, module) of the learner's word embedding when its gradient can be taken per
    token row: it trains, it is an nn.Embedding, and it is not tied to an output layer."""
    backbone = getattr(learner, "backbone", None)
    get_in = getattr(backbone, "get_input_embeddings", None)
    module = get_in() if callable(get_in) else None
    if not isinstance(module, nn.Embedding):
        return None
    get_out = getattr(backbone, "get_output_embeddings", None)
    out = get_out() if callable(get_out) else None
    if out is not None and getattr(out, "weight", None) is module.weight:
        return None
    name = next((n for n, p in learner.named_parameters() if p is module.weight), None)
    return (name, module) if name in params else None


def per_sample_grads(
    learner,
    batch: Batch,
    mask: torch.Tensor,
    params: dict[str, torch.Tensor],
    objective: Objective = task_loss,
    chunk_size: int | None = None,
    embedding_output_of: nn.Module | None = None,
    constants: dict[str, torch.Tensor] | None = None,
) -> dict[str, torch.Tensor] | tuple[dict[str, torch.Tensor], torch.Tensor]:
    """{name: (B, *shape)} gradients of `objective` for each example of `batch` (vmap).

    With `embedding_output_of` (an embedding module), also returns the (B, T, H) gradients
    with respect to that module's output. `constants` are parameters used as they are,
    without gradient (detached, so nothing links the result to the live model)."""
    tasks = learner.active_tasks(mask)
    buffers = {**dict(learner.named_buffers()), **(constants or {})}
    causal = learner.mode == "text_to_text"
    dtype = next(learner.parameters()).dtype
    m4 = four_d_mask(batch.attention_mask, causal, dtype)
    has_target = batch.target_ids is not None
    target = batch.target_ids if has_target else batch.input_ids

    shift: list[torch.Tensor] = []  # the zero tensor added to the embedding output, per sample

    def one(p, z, ids, attn, m4i, label, task, tgt, cand):
        if z is not None:
            shift[:] = [z[None]]
        b = Batch(
            ids[None],
            attn[None],
            label[None],
            task[None],
            task[None],
            tgt[None] if has_target else None,
            m4i[None],
        )
        out = functional_call(learner, (p, buffers), (b, cand[None]), {"tasks": tasks})
        return objective(out, b)

    if embedding_output_of is None:
        g = vmap(grad(one), in_dims=(None, None, 0, 0, 0, 0, 0, 0, 0), chunk_size=chunk_size)
        return g(params, None, *_inputs(batch, m4, target, mask))
    width = embedding_output_of.embedding_dim
    zeros = batch.input_ids.new_zeros((*batch.input_ids.shape, width), dtype=dtype)
    hook = embedding_output_of.register_forward_hook(lambda mod, inp, out: out + shift[0])
    try:
        g = vmap(
            grad(one, argnums=(0, 1)), in_dims=(None, 0, 0, 0, 0, 0, 0, 0, 0), chunk_size=chunk_size
        )
        return g(params, zeros, *_inputs(batch, m4, target, mask))
    finally:
        hook.remove()


def _inputs(batch: Batch, m4: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> tuple:
    return (
        batch.input_ids,
        batch.attention_mask,
        m4,
        batch.labels,
        batch.task_ids,
        target,
        mask,
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
    total.index_add_(0, unique % vocab, reduce(rows))


def per_sample_loop(
    learner,
    batch: Batch,
    mask: torch.Tensor,
    params: dict[str, torch.Tensor],
    objective: Objective = task_loss,
) -> dict[str, torch.Tensor]:
    """The same as `per_sample_grads`, one backward pass per example (reference)."""
    named = dict(learner.named_parameters())
    out: dict[str, list[torch.Tensor]] = {n: [] for n in params}
    for i in range(len(batch)):
        one = replace(
            batch,
            **{
                f: getattr(batch, f)[i : i + 1]
                for f in ("input_ids", "attention_mask", "labels", "task_ids", "uids")
            },
            target_ids=None if batch.target_ids is None else batch.target_ids[i : i + 1],
        )
        grads = torch.autograd.grad(
            objective(learner(one, mask[i : i + 1]), one),
            [named[n] for n in params],
            allow_unused=True,
        )
        for n, g in zip(params, grads):
            out[n].append(torch.zeros_like(named[n]) if g is None else g)
    return {n: torch.stack(v) for n, v in out.items()}


@contextmanager
def eager_attention(learner) -> Iterator[None]:
    """Run with plain (eager) attention: vmap has no batching rule for CPU SDPA kernels and
    would fall back to a slow per-example loop."""
    backbone = learner.backbone
    config = getattr(backbone, "config", None)
    before = getattr(config, "_attn_implementation", None)
    switch = before not in (None, "eager") and hasattr(backbone, "set_attn_implementation")
    if switch:
        backbone.set_attn_implementation("eager")
    try:
        yield
    finally:
        if switch:
            backbone.set_attn_implementation(before)


def accumulate(
    learner,
    batches: Iterable[tuple[Batch, torch.Tensor]],
    reduce: Callable[[torch.Tensor], torch.Tensor],
    objective: Objective = task_loss,
    chunk_size: int | None = 8,
) -> dict[str, torch.Tensor]:
    """Mean over all examples of reduce(per-sample gradient), for the trainable parameters
    (e.g. reduce = square: the empirical Fisher diagonal). Runs in eval mode (no dropout)."""
    params = {n: p.detach() for n, p in learner.named_parameters() if p.requires_grad}
    total = {n: torch.zeros_like(p) for n, p in params.items()}
    sparse = sparse_embedding(learner, params)
    dense = {n: p for n, p in params.items() if sparse is None or n != sparse[0]}
    count = 0
    was_training = learner.training
    learner.eval()
    with eager_attention(learner):
        for batch, mask in batches:
            if sparse is None:
                grads = per_sample_grads(learner, batch, mask, dense, objective, chunk_size)
            else:
                grads, delta = per_sample_grads(
                    learner,
                    batch,
                    mask,
                    dense,
                    objective,
                    chunk_size,
                    embedding_output_of=sparse[1],
                    constants={sparse[0]: params[sparse[0]]},
                )
                scatter_rows(total[sparse[0]], batch.input_ids, delta, reduce)
            for n, g in grads.items():
                total[n] += reduce(g).sum(0)
            count += len(batch)
    learner.train(was_training)
    return {n: t / max(count, 1) for n, t in total.items()}
