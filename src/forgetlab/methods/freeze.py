"""`freeze`: embeddings and the bottom k transformer blocks frozen (or: train only the top k).

[method]
kind = "freeze"
bottom = 4        # freeze blocks 0..3 (and the embeddings)
# top = 2         # or: train only the top 2 blocks (everything below frozen)
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, model_validator

from forgetlab.methods.base import (
    Method,
    MethodError,
    block_list,
    embedding_parameters,
    freeze,
    methods,
)
from forgetlab.spec.base import SpecModel


class FreezeSpec(SpecModel):
    kind: Literal["freeze"] = "freeze"
    bottom: NonNegativeInt | None = Field(None, description="freeze the bottom k blocks")
    top: NonNegativeInt | None = Field(None, description="train only the top k blocks")
    embeddings: bool = Field(True, description="freeze the input embeddings too")

    @model_validator(mode="after")
    def _one_of(self) -> FreezeSpec:
        if (self.bottom is None) == (self.top is None):
            raise ValueError("set exactly one of bottom (freeze k) or top (train only k)")
        return self


@methods.register("freeze", help="freeze embeddings + the bottom k blocks (or train the top k)")
class Freeze(Method):
    Spec = FreezeSpec

    def _frozen_count(self, n_blocks: int) -> int:
        k = self.spec.bottom if self.spec.bottom is not None else n_blocks - self.spec.top
        if not 0 <= k <= n_blocks:
            raise MethodError(
                f"method.{'bottom' if self.spec.bottom is not None else 'top'}: the model has "
                f"{n_blocks} blocks"
            )
        return k

    def check(self, backbone, mode: str) -> None:
        self._frozen_count(len(block_list(backbone)[1]))

    def apply(self, learner) -> None:
        _, blocks = block_list(learner.backbone)
        for block in blocks[: self._frozen_count(len(blocks))]:
            freeze(block)
        if self.spec.embeddings:
            for p in embedding_parameters(learner.backbone):
                p.requires_grad_(False)
