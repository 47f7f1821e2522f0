"""Model families a ladder can pretrain: `gpt2`, `llama`, `moe` (Mixtral-style), `lstm`.

family = families.get("llama")
family.count(Shape(layers=2, hidden=64, heads=2), vocab=4096, context=128)   # exact, no model
config = family.config(shape, vocab=4096, context=128, special=special_ids, options=spec)

Each family is one file that registers a `Family`: its parameter count as a formula (the
size helper searches shapes with it; a test checks it against built models), and the
transformers config of a shape. Every family ties the LM head to the token embeddings, so
`total_params` counts them once in all four and matched sizes compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from forgetlab.registry import Registry


@dataclass(frozen=True)
class Shape:
    """Layer count and widths of one model; `intermediate` is per expert for `moe`."""

    layers: int
    hidden: int
    heads: int = 1
    kv_heads: int = 1
    intermediate: int = 0
    experts: int = 1
    top_k: int = 1


@dataclass(frozen=True)
class SpecialIds:
    """Token ids the config records (bos = eos, as in the bundled tokenizer)."""

    eos: int
    pad: int


class Family:
    """Base: subclasses set `name` and implement count and config."""

    name = ""
    attention = True  # has attention heads (the size helper picks `heads`)
    mixture = False  # has experts and top_k
    width_multiple = 1  # hidden and intermediate widths must be multiples of this

    def default_intermediate(self, hidden: int) -> int:
        return 0

    def count(self, shape: Shape, vocab: int, context: int) -> int:
        raise NotImplementedError

    def config(self, shape: Shape, vocab: int, context: int, special: SpecialIds, options) -> Any:
        raise NotImplementedError


families: Registry[Family] = Registry("model family")

from forgetlab.pretrain.families import gpt2, llama, lstm, moe  # noqa: E402, F401

__all__ = ["Family", "Shape", "SpecialIds", "families"]
