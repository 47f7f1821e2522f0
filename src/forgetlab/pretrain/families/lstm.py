"""`lstm`: forgetlab's recurrent LM (`forgetlab.models.lstm_lm`): residual LSTM layers of
width `hidden`, LayerNorms, tied LM head."""

from __future__ import annotations

from forgetlab.pretrain.families import Family, Shape, SpecialIds, families


class LSTMFamily(Family):
    name = "lstm"
    attention = False

    def count(self, shape: Shape, vocab: int, context: int) -> int:
        h = shape.hidden
        block = 8 * h * h + 8 * h + 2 * h  # input and recurrent weights and biases; LayerNorm
        return vocab * h + shape.layers * block + 2 * h

    def config(self, shape: Shape, vocab: int, context: int, special: SpecialIds, options):
        from forgetlab.models.lstm_lm import ForgetlabLSTMConfig

        return ForgetlabLSTMConfig(
            vocab_size=vocab,
            hidden_size=shape.hidden,
            num_hidden_layers=shape.layers,
            max_position_embeddings=context,
            bos_token_id=special.eos,
            eos_token_id=special.eos,
            pad_token_id=special.pad,
            architectures=["ForgetlabLSTMForCausalLM"],
        )


families.register("lstm", help="recurrent LM: residual LSTM layers (not a transformer)")(
    LSTMFamily()
)
