"""Fine-tuning methods: which weights change, and how.

A method is one module here: a `<Name>Spec` (pydantic, `kind` literal) and a `Method`
subclass registered by name. `apply(learner)` changes the learner in place (freezes
parameters, or wraps the backbone with peft); `check(backbone, mode)` rejects bad
combinations on a weightless skeleton of the model (meta device), so `forgetlab validate`
catches them without loading weights.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

from torch import nn

from forgetlab.errors import ForgetlabError
from forgetlab.registry import Registry
from forgetlab.spec.base import SpecModel

if TYPE_CHECKING:
    from forgetlab.models.learner import Learner


class MethodError(ForgetlabError):
    """A method cannot be applied to this model (e.g. a LoRA target module it lacks)."""


class Method:
    Spec: ClassVar[type[SpecModel]]
    uses_peft: ClassVar[bool] = False

    def __init__(self, spec: SpecModel) -> None:
        self.spec = spec

    def check(self, backbone: nn.Module, mode: str) -> None:
        """Raise MethodError if the method cannot apply to `backbone` (weights on meta)."""

    def apply(self, learner: Learner) -> None:
        """Change `learner` in place; afterwards `requires_grad` marks what trains."""

    def check_environment(self) -> None:
        """Raise MethodError if this machine cannot run the method (e.g. QLoRA without CUDA);
        called by `forgetlab validate` and before a model loads."""

    def load_kwargs(self) -> dict:
        """Extra keyword arguments for `from_pretrained` (e.g. a quantization config)."""
        return {}


methods: Registry[type[Method]] = Registry("method")


def freeze(module: nn.Module) -> None:
    for p in module.parameters():
        p.requires_grad_(False)


def block_list(backbone: nn.Module) -> tuple[str, nn.ModuleList]:
    """The transformer blocks of a BERT-, GPT-2- or Llama-style model: (qualified name, list).

    The longest ModuleList whose length equals the config's layer count (BERT `encoder.layer`,
    GPT-2 `h`, Llama `layers`).
    """
    cfg = getattr(backbone, "config", None)
    n = getattr(cfg, "num_hidden_layers", None) or getattr(cfg, "n_layer", None)
    found = [
        (name, mod)
        for name, mod in backbone.named_modules()
        if isinstance(mod, nn.ModuleList) and len(mod) > 0 and (n is None or len(mod) == n)
    ]
    if not found:
        raise MethodError(
            f"cannot find the transformer block list of {type(backbone).__name__} "
            "(looked for a ModuleList with one entry per layer)"
        )
    return found[0]


_EMBED = re.compile(r"(^|\.)(\w*embed\w*|wte|wpe)(\.|$)")


def embedding_parameters(backbone: nn.Module) -> list[nn.Parameter]:
    """Input embeddings (token, position, type) and their norms: every parameter whose
    qualified name has a component containing 'embed' (BERT `embeddings.*`, Llama
    `embed_tokens`) or named `wte`/`wpe` (GPT-2)."""
    return [p for name, p in backbone.named_parameters() if _EMBED.search(name)]
