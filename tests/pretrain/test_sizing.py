"""The size helper: a target parameter count becomes a shape within 10% for every family, and
each family's count formula equals the parameters of the model transformers builds."""

from __future__ import annotations

import pytest
import torch

from forgetlab.errors import SpecError
from forgetlab.pretrain.families import Shape, SpecialIds, families
from forgetlab.pretrain.plan import plan_pretrain
from forgetlab.pretrain.sizing import heads_for, make_shape, shape_for_params
from forgetlab.pretrain.spec import pretrain_spec_from_dict
from tests.pretrain.helpers import FAMILIES

SPECIAL = SpecialIds(eos=0, pad=1)


class _Options:
    router_aux_loss_coef = 0.01


def built_params(family: str, shape: Shape, vocab: int, context: int) -> int:
    """Parameters of the model the family's config builds (on the meta device: no memory)."""
    from transformers import AutoModelForCausalLM

    from forgetlab.models.lstm_lm import register_auto_classes

    register_auto_classes()
    config = families.get(family).config(shape, vocab, context, SPECIAL, _Options())
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("target", [100_000, 1_000_000, 10_000_000, 50_000_000])
def test_target_count_is_met_within_ten_percent(family, target):
    shape = shape_for_params(families.get(family), target, vocab=4096, context=128)
    got = built_params(family, shape, 4096, 128)
    assert abs(got / target - 1) <= 0.10, (shape, got)
    assert abs(got / target - 1) <= 0.05  # the search's own tolerance


@pytest.mark.parametrize("family", FAMILIES)
def test_count_formula_is_exact(family):
    f = families.get(family)
    for layers, hidden, heads, kv, inter in [
        (1, 16, 1, 1, 40),
        (3, 48, 4, 2, 136),
        (2, 64, 2, 2, 96),
    ]:
        shape = make_shape(f, layers, hidden, heads, kv, inter if f.name != "lstm" else None, 4, 2)
        assert f.count(shape, 512, 64) == built_params(family, shape, 512, 64), shape


def test_moe_counts_every_expert_and_the_router():
    moe = families.get("moe")
    two = moe.count(make_shape(moe, 2, 64, experts=2, top_k=1), 512, 64)
    four = moe.count(make_shape(moe, 2, 64, experts=4, top_k=1), 512, 64)
    inter = make_shape(moe, 2, 64).intermediate
    assert four - two == 2 * 2 * (3 * 64 * inter + 64)  # 2 more experts + router rows, 2 layers


def test_too_small_a_target_is_a_one_line_error():
    with pytest.raises(SpecError, match="no gpt2 model with vocab 4096 comes within 10% of 20,000"):
        shape_for_params(families.get("gpt2"), 20_000, vocab=4096, context=128)


def test_heads_divide_the_width_into_even_head_sizes():
    assert heads_for(128, 32) == 4 and heads_for(96, 32) == 3 and heads_for(110, 32) == 1
    assert heads_for(12, 32) == 1


def test_layers_fix_the_depth_and_moe_widths_are_multiples_of_8():
    shape = shape_for_params(families.get("llama"), 3_000_000, 4096, 128, layers=2)
    assert shape.layers == 2
    moe = shape_for_params(families.get("moe"), 1_000_000, 4096, 128, experts=8, top_k=2)
    assert moe.hidden % 8 == 0 and moe.intermediate % 8 == 0 and moe.experts == 8
    with pytest.raises(SpecError, match="model.hidden: moe widths must be multiples of 8"):
        plan_pretrain(
            pretrain_spec_from_dict({"model": {"family": "moe", "layers": 2, "hidden": 36}})
        )


def test_log_spaced_checkpoints_by_default():
    spec = pretrain_spec_from_dict(
        {"model": {"family": "gpt2", "params": 10**6}, "train": {"tokens": 2_048_000}}
    )
    plan = plan_pretrain(spec)
    assert plan.tokens_per_step == 2048 and plan.total_steps == 1000
    # 0, then 4 points from tokens/100 = 20,480 to the end, equal ratios (10^(2/3) apart)
    assert plan.checkpoint_steps == [0, 10, 47, 216, 1000]
