"""Classification heads: one linear block per task, concatenated over the global class ids.

Class-incremental streams use every seen task's block (one expanding head); task-incremental
streams use only the example's own task's block (one head per task). A block that is not
computed leaves its classes at -inf and gets no gradient, so optimizers never touch it.
"""

from __future__ import annotations

import torch
from torch import nn


class CosineLinear(nn.Module):
    """Cosine-similarity classifier: scale * cos(features, class weight), no bias.

    Old and new class rows cannot win by growing their norm, which is what lets SEQ* freeze
    old rows without the new ones taking over (Hou et al. 2019; Zheng et al. 2024)."""

    def __init__(self, hidden: int, n: int, scale: float = 16.0) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n, hidden))
        nn.init.kaiming_uniform_(self.weight, a=5**0.5)
        self.scale = scale
        self.out_features = n

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        f = nn.functional.normalize(features, dim=-1)
        w = nn.functional.normalize(self.weight, dim=-1)
        return self.scale * f @ w.T


class TaskHeads(nn.Module):
    def __init__(self, hidden: int, classes_per_task: list[int], kind: str = "linear") -> None:
        super().__init__()
        make = nn.Linear if kind == "linear" else CosineLinear
        self.kind = kind
        self.blocks = nn.ModuleList(make(hidden, n) for n in classes_per_task)
        starts = torch.tensor([0, *classes_per_task]).cumsum(0)
        self.register_buffer("starts", starts[:-1], persistent=False)
        self.num_classes = int(starts[-1])

    def forward(self, features: torch.Tensor, tasks: list[int]) -> torch.Tensor:
        """(B, H) features -> (B, C) logits; classes of tasks not in `tasks` are -inf.

        Built by concatenation (no in-place writes), so it works under torch.func.vmap."""
        wanted = set(tasks)
        chunks = [
            block(features)
            if t in wanted
            else features.new_full((*features.shape[:-1], block.out_features), float("-inf"))
            for t, block in enumerate(self.blocks)
        ]
        return torch.cat(chunks, dim=-1)
