"""`mas`: memory-aware synapses (Aljundi et al. 2018).

Importance is the mean absolute per-sample gradient of the squared L2 norm of the output
(the competing class logits; for text-to-text models, the label's negative log-likelihood),
which needs no labels. Online by default: importance accumulates over tasks.

    [strategy]
    kind = "mas"
    lambda_ = 3.0     # on importances / the first task's mean (see regularization.py)
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field, NonNegativeFloat

from forgetlab.strategies.base import TaskContext, strategies
from forgetlab.strategies.importance import ABS, accumulate
from forgetlab.strategies.per_sample import squared_output_norms
from forgetlab.strategies.regularization import ImportanceRegularizer, ImportanceSpec


class MASSpec(ImportanceSpec):
    kind: Literal["mas"] = "mas"
    online: bool = True  # MAS accumulates importance over tasks
    # 3: the best mean average accuracy of a recorded sweep (docs/ewc_mas_lambda.md)
    lambda_: NonNegativeFloat = Field(3.0, description="penalty weight (see normalize)")


@strategies.register("mas", help="MAS: output-sensitivity-weighted L2 to old weights")
class MAS(ImportanceRegularizer):
    Spec = MASSpec

    def importance(self, ctx: TaskContext, examples) -> dict[str, torch.Tensor]:
        return accumulate(
            ctx.learner,
            self.importance_batches(ctx, examples),
            ABS,
            squared_output_norms,
            budget=self.budget,
        )
