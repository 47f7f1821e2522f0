"""`head`: only the classifier trains (the linear-probe end of the spectrum).

For classifiers the backbone is frozen and the task heads train. For text-to-text models
the LM head's rows of the label tokens train: a zero-initialised delta on those rows, so the
original (often tied) weights stay bit-for-bit unchanged.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from forgetlab.methods.base import Method, freeze, methods
from forgetlab.spec.base import SpecModel


class HeadSpec(SpecModel):
    kind: Literal["head"] = "head"


class LabelRowsDelta(nn.Module):
    """Wraps an output projection: logits[..., rows] += hidden @ delta.T (delta starts at 0)."""

    def __init__(self, base: nn.Module, rows: list[int]) -> None:
        super().__init__()
        self.base = base
        self.register_buffer("rows", torch.tensor(rows, dtype=torch.long), persistent=False)
        self.delta = nn.Parameter(torch.zeros(len(rows), base.weight.shape[1]))

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        logits = self.base(hidden)
        extra = hidden @ self.delta.to(hidden.dtype).T  # (B, T, n_rows)
        return logits.index_add(-1, self.rows, extra)


@methods.register("head", help="only the head trains (classifier heads / LM label-token rows)")
class Head(Method):
    Spec = HeadSpec

    def apply(self, learner) -> None:
        freeze(learner.backbone)
        if learner.mode == "text_to_text":
            rows = sorted({t for ids in learner.label_ids for t in ids})
            learner.backbone.set_output_embeddings(
                LabelRowsDelta(learner.backbone.get_output_embeddings(), rows)
            )
