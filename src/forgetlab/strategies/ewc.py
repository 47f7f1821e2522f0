"""`ewc`: elastic weight consolidation (Kirkpatrick et al. 2017), offline or online.

Importance is the diagonal empirical Fisher: the mean squared per-sample gradient of the
loss, computed with torch.func (vmap over grad) in one batched pass per batch.

    [strategy]
    kind = "ewc"
    lambda_ = 10.0    # on mean-normalised Fisher (see regularization.py)
    online = false
"""

from __future__ import annotations

from typing import Literal

import torch

from forgetlab.strategies.base import TaskContext, strategies
from forgetlab.strategies.per_sample import accumulate, task_loss
from forgetlab.strategies.regularization import ImportanceRegularizer, ImportanceSpec


class EWCSpec(ImportanceSpec):
    kind: Literal["ewc"] = "ewc"


@strategies.register("ewc", help="EWC: Fisher-weighted L2 to old weights (vmap Fisher; online)")
class EWC(ImportanceRegularizer):
    Spec = EWCSpec

    def importance(self, ctx: TaskContext, batches) -> dict[str, torch.Tensor]:
        return accumulate(ctx.learner, batches, torch.square, task_loss)
