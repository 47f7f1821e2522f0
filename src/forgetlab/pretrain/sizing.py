"""Shapes of a model family: explicit sizes, or a target parameter count turned into a shape.

shape = shape_for_params(families.get("gpt2"), 1_000_000, vocab=4096, context=128)
families.get("gpt2").count(shape, 4096, 128)     # within 5% of 1,000,000 when reachable

The search runs the family's exact count formula over layer counts 1..48 and widths in steps
of 2 (4 from 128, 8 from 1024); among the shapes within 5% of the target it takes the one
whose width per layer is closest to `aspect` and whose head size is closest to `head_dim`
(wide and shallow trains faster on CPUs; Kaplan et al. 2020 found loss insensitive to the
ratio over a wide range), else the closest count. Attention heads are about
width / `head_dim`, a divisor of the width with an even head size (rotary positions).
"""

from __future__ import annotations

import math

from forgetlab.errors import SpecError
from forgetlab.pretrain.families import Family, Shape

TOLERANCE = 0.05  # the search's own target; the promise to users is 10%
MAX_LAYERS = 48
WIDTHS = [*range(8, 128, 2), *range(128, 1024, 4), *range(1024, 8193, 8)]


def heads_for(hidden: int, head_dim: int) -> int:
    """About hidden / head_dim heads (at least 1) that divide `hidden` into even head sizes."""
    heads = max(1, round(hidden / head_dim))
    while heads > 1 and (hidden % heads or (hidden // heads) % 2):
        heads -= 1
    return heads


def make_shape(
    family: Family,
    layers: int,
    hidden: int,
    heads: int | None = None,
    kv_heads: int | None = None,
    intermediate: int | None = None,
    experts: int = 1,
    top_k: int = 1,
    head_dim: int = 32,
) -> Shape:
    """A full shape from the sizes given; the rest from the family's defaults."""
    if family.attention:
        heads = heads or heads_for(hidden, head_dim)
        kv_heads = kv_heads or heads
    else:
        heads = kv_heads = 1
    if not family.mixture:
        experts = top_k = 1
    inter = intermediate if intermediate is not None else family.default_intermediate(hidden)
    return Shape(layers, hidden, heads, kv_heads, inter, experts, top_k)


def check_shape(family: Family, shape: Shape) -> None:
    """SpecError naming the field when the sizes do not make a model of this family."""
    if family.attention:
        if shape.hidden % shape.heads:
            raise SpecError(f"model.heads: {shape.heads} heads do not divide hidden {shape.hidden}")
        if shape.heads % shape.kv_heads:
            raise SpecError(
                f"model.kv_heads: {shape.kv_heads} key/value heads do not divide "
                f"{shape.heads} heads"
            )
        if family.name != "gpt2" and (shape.hidden // shape.heads) % 2:
            raise SpecError(
                f"model.heads: head size {shape.hidden // shape.heads} must be even (rotary)"
            )
    for name, width in (("hidden", shape.hidden), ("intermediate", shape.intermediate)):
        if width % family.width_multiple:
            raise SpecError(
                f"model.{name}: {family.name} widths must be multiples of "
                f"{family.width_multiple} (got {width})"
            )
    if family.mixture and shape.top_k > shape.experts:
        raise SpecError(f"model.top_k: {shape.top_k} is more than the {shape.experts} experts")


def shape_for_params(
    family: Family,
    target: int,
    vocab: int,
    context: int,
    experts: int = 4,
    top_k: int = 2,
    head_dim: int = 32,
    aspect: float = 32.0,
    layers: int | None = None,
) -> Shape:
    """The shape of `family` nearest `target` parameters (module docstring); `layers` fixes
    the depth. SpecError when no shape comes within 10%."""
    best: tuple[float, Shape] | None = None
    near: list[tuple[float, Shape]] = []
    depths = [layers] if layers else range(1, MAX_LAYERS + 1)
    for n_layers in depths:
        for hidden in (w for w in WIDTHS if w % family.width_multiple == 0):
            shape = make_shape(
                family, n_layers, hidden, experts=experts, top_k=top_k, head_dim=head_dim
            )
            count = family.count(shape, vocab, context)
            err = abs(math.log(count / target))
            if best is None or err < best[0]:
                best = (err, shape)
            if err <= math.log1p(TOLERANCE):
                off = abs(math.log(hidden / n_layers / aspect))
                if family.attention:  # and head sizes near head_dim
                    off += abs(math.log(hidden / shape.heads / head_dim))
                near.append((off, shape))
            if count > target * (1 + TOLERANCE):
                break
    if near:
        return min(near, key=lambda x: x[0])[1]
    assert best is not None
    got = family.count(best[1], vocab, context)
    if abs(got / target - 1) > 0.10:
        raise SpecError(
            f"model.params: no {family.name} model with vocab {vocab} comes within 10% of "
            f"{target:,} parameters (nearest: {got:,}, hidden {best[1].hidden}, "
            f"{best[1].layers} layers)"
        )
    return best[1]
