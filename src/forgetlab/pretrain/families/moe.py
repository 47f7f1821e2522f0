"""`moe`: Mixtral-style sparse mixture-of-experts decoder (Llama attention; each block's MLP is
`experts` SwiGLU experts of width `intermediate`, `top_k` of them per token, chosen by a
linear router). Pretraining adds the router's load-balancing loss (`router_aux_loss_coef`)."""

from __future__ import annotations

from forgetlab.pretrain.families import Family, Shape, SpecialIds, families
from forgetlab.pretrain.families.llama import attention_params, decoder_fields, swiglu_width


class MoEFamily(Family):
    name = "moe"
    mixture = True
    # transformers runs the experts with torch's grouped matmul, which needs rows of a
    # multiple of 16 bytes: 8 bf16 values
    width_multiple = 8

    def default_intermediate(self, hidden: int) -> int:
        return swiglu_width(hidden)

    def count(self, shape: Shape, vocab: int, context: int) -> int:
        h = shape.hidden
        experts = shape.experts * 3 * h * shape.intermediate + shape.experts * h  # + router
        block = attention_params(shape) + experts + 2 * h
        return vocab * h + shape.layers * block + h

    def config(self, shape: Shape, vocab: int, context: int, special: SpecialIds, options):
        from transformers import MixtralConfig

        return MixtralConfig(
            **decoder_fields(shape, vocab, context, special),
            num_local_experts=shape.experts,
            num_experts_per_tok=shape.top_k,
            router_aux_loss_coef=options.router_aux_loss_coef,
            output_router_logits=False,  # pretraining asks for them; fine-tuning does not
            architectures=["MixtralForCausalLM"],
        )


families.register("moe", help="Mixtral-style mixture of experts (experts, top_k)")(MoEFamily())
