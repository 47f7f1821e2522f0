"""`forgetlab-lstm`: a recurrent causal language model as a transformers model.

A stack of single-layer LSTMs with pre-norm residual connections (x + LSTM(LayerNorm(x))), a
final LayerNorm and an LM head tied to the token embeddings. Being a `PreTrainedModel` with a
registered config, its directories (`save_pretrained`) load through `AutoConfig`,
`AutoModel` (the body: `last_hidden_state`, `hidden_states` per layer) and
`AutoModelForCausalLM` (logits, loss, `generate`) without `trust_remote_code`, once
`register_auto_classes()` has run in the process (forgetlab's model loading calls it):

    from forgetlab.models.lstm_lm import ForgetlabLSTMConfig, register_auto_classes
    register_auto_classes()
    model = AutoModelForCausalLM.from_pretrained("ladder/lstm-1m/checkpoints/tokens-000200000")

Padding: right padding leaves the states of real tokens unchanged (the recurrence only runs
forward). Left padding (batched generation) is handled by shifting every row so that its
first real token comes first, running the LSTMs, and shifting back.
"""

from __future__ import annotations

import torch
from huggingface_hub.dataclasses import strict
from torch import nn
from transformers import GenerationMixin, PreTrainedConfig, PreTrainedModel
from transformers.modeling_outputs import BaseModelOutput, CausalLMOutput

MODEL_TYPE = "forgetlab-lstm"


@strict
class ForgetlabLSTMConfig(PreTrainedConfig):
    """Sizes of the recurrent LM; `max_position_embeddings` is only the training context."""

    model_type = MODEL_TYPE

    vocab_size: int = 4096
    hidden_size: int = 128
    num_hidden_layers: int = 2
    max_position_embeddings: int = 128
    layer_norm_epsilon: float = 1e-5
    initializer_range: float = 0.02
    pad_token_id: int | None = None
    bos_token_id: int | None = None
    eos_token_id: int | list[int] | None = None
    tie_word_embeddings: bool = True
    use_cache: bool = False
    num_attention_heads: int = 1  # no attention; peft's prompt tuning reads the field


class ForgetlabLSTMPreTrainedModel(PreTrainedModel):
    config: ForgetlabLSTMConfig
    config_class = ForgetlabLSTMConfig
    base_model_prefix = "model"
    supports_gradient_checkpointing = False


def _leading_pads(mask: torch.Tensor | None) -> torch.Tensor | None:
    """(B,) number of padding positions before each row's first real token, or None when no
    row starts with padding."""
    if mask is None or mask.dim() != 2:
        return None
    lead = (mask.cumsum(1) == 0).sum(1)
    return lead if bool((lead > 0).any()) else None


def _shift(x: torch.Tensor, by: torch.Tensor) -> torch.Tensor:
    """x[b, t] <- x[b, t + by[b]] (positions past the end repeat the last one)."""
    T = x.shape[1]
    idx = (torch.arange(T, device=x.device)[None, :] + by[:, None]).clamp(max=T - 1)
    return x.gather(1, idx[..., None].expand(-1, -1, x.shape[-1]))


def _unshift(x: torch.Tensor, by: torch.Tensor) -> torch.Tensor:
    """Inverse of `_shift`: x[b, t] <- x[b, t - by[b]], zeros before the first real token."""
    T = x.shape[1]
    pos = torch.arange(T, device=x.device)[None, :] - by[:, None]
    out = x.gather(1, pos.clamp(min=0)[..., None].expand(-1, -1, x.shape[-1]))
    return out * (pos >= 0)[..., None].to(out.dtype)


class ForgetlabLSTMModel(ForgetlabLSTMPreTrainedModel):
    """Embeddings -> residual LSTM layers -> LayerNorm. Outputs like a transformers body."""

    def __init__(self, config: ForgetlabLSTMConfig) -> None:
        super().__init__(config)
        h = config.hidden_size
        self.embed_tokens = nn.Embedding(config.vocab_size, h)
        self.norms = nn.ModuleList(
            nn.LayerNorm(h, eps=config.layer_norm_epsilon) for _ in range(config.num_hidden_layers)
        )
        self.layers = nn.ModuleList(
            nn.LSTM(h, h, batch_first=True) for _ in range(config.num_hidden_layers)
        )
        self.norm = nn.LayerNorm(h, eps=config.layer_norm_epsilon)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embed_tokens

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embed_tokens = value

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> BaseModelOutput:
        x = self.embed_tokens(input_ids) if inputs_embeds is None else inputs_embeds
        lead = _leading_pads(attention_mask)
        if lead is not None:
            x = _shift(x, lead)
        states = [x]
        for norm, lstm in zip(self.norms, self.layers):
            out, _ = lstm(norm(x))
            x = x + out
            states.append(x)
        x = self.norm(x)
        states[-1] = x  # like GPT-2 and Llama: the last hidden state is after the final norm
        if lead is not None:
            x = _unshift(x, lead)
            states = [_unshift(s, lead) for s in states]
        want = output_hidden_states if output_hidden_states is not None else False
        return BaseModelOutput(last_hidden_state=x, hidden_states=tuple(states) if want else None)


class ForgetlabLSTMForCausalLM(ForgetlabLSTMPreTrainedModel, GenerationMixin):
    _tied_weights_keys = {"lm_head.weight": "model.embed_tokens.weight"}

    def __init__(self, config: ForgetlabLSTMConfig) -> None:
        super().__init__(config)
        self.model = ForgetlabLSTMModel(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.model.embed_tokens

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.model.embed_tokens = value

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head

    def set_output_embeddings(self, value: nn.Linear) -> None:
        self.lm_head = value

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs,
    ) -> CausalLMOutput:
        body = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            inputs_embeds=inputs_embeds,
            output_hidden_states=output_hidden_states,
        )
        logits = self.lm_head(body.last_hidden_state)
        loss = None
        if labels is not None:  # position t predicts token t + 1; -100 is ignored
            loss = nn.functional.cross_entropy(
                logits[:, :-1].reshape(-1, logits.shape[-1]).float(),
                labels[:, 1:].reshape(-1).to(logits.device),
                ignore_index=-100,
            )
        return CausalLMOutput(loss=loss, logits=logits, hidden_states=body.hidden_states)


_REGISTERED = False


def register_auto_classes() -> None:
    """Make `forgetlab-lstm` directories load through the Auto classes (idempotent)."""
    global _REGISTERED
    if _REGISTERED:
        return
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM

    AutoConfig.register(MODEL_TYPE, ForgetlabLSTMConfig, exist_ok=True)
    AutoModel.register(ForgetlabLSTMConfig, ForgetlabLSTMModel, exist_ok=True)
    AutoModelForCausalLM.register(ForgetlabLSTMConfig, ForgetlabLSTMForCausalLM, exist_ok=True)
    _REGISTERED = True
