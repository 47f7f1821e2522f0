"""`tiny-lstm`: a small LSTM encoder, the recurrent baseline for architecture comparisons.

Embeddings -> a (bi)directional multi-layer LSTM -> per-token states; it returns an object
with `last_hidden_state` like a transformers encoder, so the classifier learner pools and
classifies it the same way. It is not a transformers model: peft methods (LoRA defaults,
prompt and prefix tuning) and adapters do not apply to it, and `validate` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import torch
from torch import nn


@dataclass
class LSTMOutput:
    last_hidden_state: torch.Tensor  # (B, T, H)


class LSTMEncoder(nn.Module):
    def __init__(
        self, vocab_size: int, hidden_size: int = 64, num_layers: int = 2, pad_token_id: int = 0
    ) -> None:
        super().__init__()
        self.config = SimpleNamespace(
            model_type="lstm",
            hidden_size=hidden_size,
            num_hidden_layers=num_layers,
            architectures=["LSTMEncoder"],
        )
        self.embed = nn.Embedding(vocab_size, hidden_size, padding_idx=pad_token_id)
        self.lstm = nn.LSTM(
            hidden_size,
            hidden_size // 2,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=True,
        )

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None):
        x = self.embed(input_ids)  # (B, T, H)
        if attention_mask is not None and attention_mask.dim() == 2:
            lengths = attention_mask.sum(1).clamp_min(1).cpu()
            packed = nn.utils.rnn.pack_padded_sequence(
                x, lengths, batch_first=True, enforce_sorted=False
            )
            out, _ = self.lstm(packed)
            out, _ = nn.utils.rnn.pad_packed_sequence(
                out, batch_first=True, total_length=input_ids.shape[1]
            )
        else:
            out, _ = self.lstm(x)
        return LSTMOutput(out)
