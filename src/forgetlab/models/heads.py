"""Classification heads: one linear block per task, concatenated over the global class ids.

Class-incremental streams use every seen task's block (one expanding head); task-incremental
streams use only the example's own task's block (one head per task). A block that is not
computed leaves its classes at -inf and gets no gradient, so optimizers never touch it.
"""

from __future__ import annotations

import torch
from torch import nn


class TaskHeads(nn.Module):
    def __init__(self, hidden: int, classes_per_task: list[int]) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(nn.Linear(hidden, n) for n in classes_per_task)
        starts = torch.tensor([0, *classes_per_task]).cumsum(0)
        self.register_buffer("starts", starts[:-1], persistent=False)
        self.num_classes = int(starts[-1])

    def forward(self, features: torch.Tensor, tasks: list[int]) -> torch.Tensor:
        """(B, H) features -> (B, C) logits; classes of tasks not in `tasks` are -inf."""
        out = features.new_full((features.shape[0], self.num_classes), float("-inf"))
        for t in tasks:
            block = self.blocks[t]
            s = int(self.starts[t])
            out[:, s : s + block.out_features] = block(features)
        return out
