"""`llama`: Llama blocks (rotary positions, RMSNorm, SwiGLU MLP of about 8/3 x hidden)."""

from __future__ import annotations

from forgetlab.pretrain.families import Family, Shape, SpecialIds, families


def swiglu_width(hidden: int) -> int:
    """8/3 x hidden rounded up to a multiple of 8 (the Llama recipe's 2/3 of 4 x hidden)."""
    return -(-8 * hidden // 3 // 8) * 8


def attention_params(shape: Shape) -> int:
    head_dim = shape.hidden // shape.heads
    return 2 * shape.hidden * shape.hidden + 2 * shape.hidden * shape.kv_heads * head_dim


def decoder_fields(shape: Shape, vocab: int, context: int, special: SpecialIds) -> dict:
    """The config fields Llama-style decoders share (Llama, Mixtral): sizes, the tokenizer's
    special ids, tied embeddings."""
    return dict(
        vocab_size=vocab,
        hidden_size=shape.hidden,
        intermediate_size=shape.intermediate,
        num_hidden_layers=shape.layers,
        num_attention_heads=shape.heads,
        num_key_value_heads=shape.kv_heads,
        max_position_embeddings=context,
        bos_token_id=special.eos,
        eos_token_id=special.eos,
        pad_token_id=special.pad,
        tie_word_embeddings=True,
    )


class LlamaFamily(Family):
    name = "llama"

    def default_intermediate(self, hidden: int) -> int:
        return swiglu_width(hidden)

    def count(self, shape: Shape, vocab: int, context: int) -> int:
        h = shape.hidden
        block = attention_params(shape) + 3 * h * shape.intermediate + 2 * h
        return vocab * h + shape.layers * block + h

    def config(self, shape: Shape, vocab: int, context: int, special: SpecialIds, options):
        from transformers import LlamaConfig

        return LlamaConfig(
            **decoder_fields(shape, vocab, context, special), architectures=["LlamaForCausalLM"]
        )


families.register("llama", help="Llama decoder (rotary, RMSNorm, SwiGLU)")(LlamaFamily())
