"""Embeddings of examples from the current model, for retrieval.

    rows = embed(learner, encoded_items)       # (N, H) float32 on the CPU, rows in order

A classifier's embedding is its own pooled feature vector (`learner.features`: what its heads
read); a causal LM's is its last hidden state averaged over the prompt tokens (never the label
words). The model runs in eval mode without gradients, routed per task when a strategy routes
(a batch then holds one task only).
"""

from __future__ import annotations

from dataclasses import replace

import torch

from forgetlab.models.classifier import pool
from forgetlab.models.learner import Encoded


def prompt_only(item: Encoded) -> Encoded:
    """A text-to-text item without its label tokens (classifier items are unchanged)."""
    if item.target_start < 0:
        return item
    return replace(item, ids=item.ids[: item.target_start], target_start=item.target_start)


def _features(learner, batch) -> torch.Tensor:
    if learner.mode == "classifier":
        return learner.features(batch)
    with learner.routed(batch.task_ids):
        out = learner.backbone(
            input_ids=batch.input_ids,
            attention_mask=batch.mask_for_backbone,
            output_hidden_states=True,
        )
    hidden = out.hidden_states[-1][:, -batch.input_ids.shape[1] :]  # drop virtual tokens
    return pool(hidden, batch.attention_mask, "mean")


@torch.inference_mode()
def embed(learner, items: list[Encoded], batch_size: int = 64) -> torch.Tensor:
    """(N, H) embeddings of `items` (rows in their order)."""
    items = [prompt_only(e) for e in items]
    by_length = sorted(range(len(items)), key=lambda i: len(items[i].ids))  # little padding
    if learner.router is None:  # no per-task routing: tasks may share a batch
        groups = [by_length]
    else:
        groups = [
            [i for i in by_length if items[i].task == t] for t in sorted({e.task for e in items})
        ]
    chunks = [g[s : s + batch_size] for g in groups for s in range(0, len(g), batch_size)]
    was_training = learner.training
    learner.eval()
    rows: list[torch.Tensor | None] = [None] * len(items)
    try:
        for chunk in chunks:
            batch = learner.collate([items[i] for i in chunk]).to(learner.device)
            feats = _features(learner, batch).float().cpu()
            for i, f in zip(chunk, feats):
                rows[i] = f
    finally:
        learner.train(was_training)
    if not rows:
        return torch.empty(0, 0)
    return torch.stack(rows)  # type: ignore[arg-type]
