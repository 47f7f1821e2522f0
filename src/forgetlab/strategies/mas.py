"""`mas`: memory-aware synapses (Aljundi et al. 2018).

Importance is the mean absolute per-sample gradient of the squared L2 norm of the output
(the competing class logits; for text-to-text models, the label log-likelihood), which
needs no labels.
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field, NonNegativeFloat

from forgetlab.strategies.base import TaskContext, strategies
from forgetlab.strategies.per_sample import accumulate, squared_output_norm
from forgetlab.strategies.regularization import ImportanceRegularizer, ImportanceSpec


class MASSpec(ImportanceSpec):
    kind: Literal["mas"] = "mas"
    online: bool = True  # MAS accumulates importance over tasks
    lambda_: NonNegativeFloat = Field(1.0, description="penalty weight (on mean-1 importances)")


@strategies.register("mas", help="MAS: output-sensitivity-weighted L2 to old weights")
class MAS(ImportanceRegularizer):
    Spec = MASSpec

    def importance(self, ctx: TaskContext, batches) -> dict[str, torch.Tensor]:
        return accumulate(ctx.learner, batches, torch.abs, squared_output_norm)
