"""`adapter`: bottleneck adapters (Houlsby / Pfeiffer), a small implementation of our own.

peft has no bottleneck adapters and the `adapters` library (AdapterHub 1.3) requires
transformers 4.x, so this wraps the output projections directly:

- houlsby: an adapter after the attention output projection and after the feed-forward
  output projection of every block (Houlsby et al. 2019);
- pfeiffer: only after the feed-forward output projection (Pfeiffer et al. 2020).

Each adapter is `h + up(act(down(h)))` with `down: H -> H / reduction_factor` and `up`
initialised to zero, so training starts from the unchanged model. The backbone is frozen.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, PositiveInt
from torch import nn

from forgetlab.methods.base import Method, MethodError, freeze, methods
from forgetlab.spec.base import SpecModel

# (attention output projection, feed-forward output projection) per architecture family.
PROJECTIONS: dict[str, tuple[str, str]] = {
    "bert": (r"layer\.\d+\.attention\.output\.dense$", r"layer\.\d+\.output\.dense$"),
    "gpt2": (r"h\.\d+\.attn\.c_proj$", r"h\.\d+\.mlp\.c_proj$"),
    "llama": (r"layers\.\d+\.self_attn\.o_proj$", r"layers\.\d+\.mlp\.down_proj$"),
    # mixture of experts: after the whole sparse block (its experts are 3-D parameters)
    "mixtral": (r"layers\.\d+\.self_attn\.o_proj$", r"layers\.\d+\.mlp$"),
}
FAMILY = {
    "bert": "bert",
    "roberta": "bert",
    "gpt2": "gpt2",
    "llama": "llama",
    "mistral": "llama",
    "qwen2": "llama",
    "mixtral": "mixtral",
}


class AdapterSpec(SpecModel):
    kind: Literal["adapter"] = "adapter"
    style: Literal["houlsby", "pfeiffer"] = Field("pfeiffer", description="where adapters go")
    reduction_factor: PositiveInt = Field(16, description="bottleneck size = hidden / factor")
    activation: Literal["relu", "gelu"] = "relu"


class Bottleneck(nn.Module):
    def __init__(self, hidden: int, size: int, activation: str) -> None:
        super().__init__()
        self.down = nn.Linear(hidden, size)
        self.act = nn.ReLU() if activation == "relu" else nn.GELU()
        self.up = nn.Linear(size, hidden)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def forward(self, h):
        return h + self.up(self.act(self.down(h)))


class WithAdapter(nn.Module):
    """A projection followed by its adapter."""

    def __init__(self, base: nn.Module, adapter: Bottleneck) -> None:
        super().__init__()
        self.base = base
        self.adapter = adapter

    def forward(self, *args, **kwargs):
        return self.adapter(self.base(*args, **kwargs))


def _targets(backbone: nn.Module, style: str) -> list[str]:
    model_type = getattr(getattr(backbone, "config", None), "model_type", None)
    family = FAMILY.get(model_type or "")
    if family is None:
        raise MethodError(
            f"method 'adapter' knows BERT-, GPT-2- and Llama-style models, not {model_type!r}"
        )
    attn, ffn = PROJECTIONS[family]
    patterns = [ffn] if style == "pfeiffer" else [attn, ffn]
    names = [n for n, _ in backbone.named_modules() if any(re.search(p, n) for p in patterns)]
    if not names:
        raise MethodError(f"method 'adapter': no output projections found in {model_type!r}")
    return names


@methods.register("adapter", help="bottleneck adapters (Houlsby/Pfeiffer), backbone frozen")
class Adapter(Method):
    Spec = AdapterSpec

    def check(self, backbone, mode: str) -> None:
        _targets(backbone, self.spec.style)

    def apply(self, learner) -> None:
        backbone = learner.backbone
        targets = _targets(backbone, self.spec.style)
        freeze(backbone)
        hidden = backbone.config.hidden_size
        size = max(1, hidden // self.spec.reduction_factor)
        for name in targets:
            parent_name, _, child = name.rpartition(".")
            parent = backbone.get_submodule(parent_name)
            base = getattr(parent, child)
            adapter = Bottleneck(hidden, size, self.spec.activation)
            weight = next(base.parameters())
            setattr(parent, child, WithAdapter(base, adapter.to(weight.device, weight.dtype)))
