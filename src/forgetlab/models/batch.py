"""Batches and model outputs passed between the trainer, learners and strategies."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import torch


@dataclass
class Batch:
    """Token ids for B examples, right-padded to the longest in the batch (dynamic padding).

    For text-to-text learners `target_ids` holds the label tokens at their positions and
    -100 elsewhere (loss only on the label); classifiers leave it None.
    """

    input_ids: torch.Tensor  # (B, T) long
    attention_mask: torch.Tensor  # (B, T) long, 1 = real token
    labels: torch.Tensor  # (B,) global class ids
    task_ids: torch.Tensor  # (B,) task index of each example
    uids: torch.Tensor  # (B,) example ids, unique in the stream
    target_ids: torch.Tensor | None = None  # (B, T) long, text-to-text only
    # (B, 1, T, T) additive mask given to the backbone instead of attention_mask. Used by
    # torch.func code: transformers inspects 2D masks with data-dependent checks that vmap
    # cannot trace, and passes 4D masks through unchanged.
    backbone_mask: torch.Tensor | None = None

    @property
    def mask_for_backbone(self) -> torch.Tensor:
        return self.attention_mask if self.backbone_mask is None else self.backbone_mask

    def to(self, device: torch.device | str) -> Batch:
        moved = {
            f.name: (v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v)
            for f in fields(self)
            for v in [getattr(self, f.name)]
        }
        return replace(self, **moved)

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def num_tokens(self) -> int:
        return int(self.attention_mask.sum())


@dataclass
class ModelOutput:
    """What a learner's forward returns: the task loss and, for classifiers, masked logits."""

    loss: torch.Tensor  # () mean task loss over the batch
    logits: torch.Tensor | None = None  # (B, C) over all classes, -inf where not competing
    features: torch.Tensor | None = None  # (B, H) pooled features, when the learner has them
    token_logits: torch.Tensor | None = None  # (B, T, V) text-to-text next-token logits


def pad(seqs: list[list[int]], value: int) -> torch.Tensor:
    """Right-pad lists of ids to a (B, T) long tensor."""
    width = max(len(s) for s in seqs)
    out = torch.full((len(seqs), width), value, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = torch.tensor(s, dtype=torch.long)
    return out
