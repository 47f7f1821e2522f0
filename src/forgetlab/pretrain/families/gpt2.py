"""`gpt2`: GPT-2 blocks (learned positions, LayerNorm, GELU MLP of `intermediate` = 4 x hidden)."""

from __future__ import annotations

from forgetlab.pretrain.families import Family, Shape, SpecialIds, families


class GPT2Family(Family):
    name = "gpt2"

    def default_intermediate(self, hidden: int) -> int:
        return 4 * hidden

    def count(self, shape: Shape, vocab: int, context: int) -> int:
        h, i = shape.hidden, shape.intermediate
        attn = 4 * h * h + 4 * h  # c_attn (q, k, v) and c_proj, with biases
        mlp = 2 * h * i + i + h
        block = attn + mlp + 4 * h  # two LayerNorms
        return vocab * h + context * h + shape.layers * block + 2 * h

    def config(self, shape: Shape, vocab: int, context: int, special: SpecialIds, options):
        from transformers import GPT2Config

        return GPT2Config(
            vocab_size=vocab,
            n_positions=context,
            n_embd=shape.hidden,
            n_layer=shape.layers,
            n_head=shape.heads,
            n_inner=shape.intermediate,
            resid_pdrop=0.0,
            embd_pdrop=0.0,
            attn_pdrop=0.0,
            bos_token_id=special.eos,
            eos_token_id=special.eos,
            pad_token_id=special.pad,
            tie_word_embeddings=True,
            architectures=["GPT2LMHeadModel"],
        )


families.register("gpt2", help="GPT-2 decoder (learned positions, LayerNorm, GELU)")(GPT2Family())
