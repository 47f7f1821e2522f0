"""Does the model fit its tokenizer and the spec's sequence length? One check, run by
`forgetlab validate` (on the weightless skeleton) and when a run builds its learner, so that a
spec `validate` accepts cannot crash inside the first forward pass.

check_fit(backbone, tokenizer, spec)   # SpecError naming the field, or None
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from forgetlab.errors import SpecError

if TYPE_CHECKING:
    from forgetlab.spec import ExperimentSpec

POSITION_FIELDS = ("n_positions", "max_position_embeddings")  # GPT-2; BERT, Llama


def input_embedding_rows(backbone) -> int | None:
    """How many token ids the model can embed (None if it has no embedding table)."""
    from torch import nn

    get = getattr(backbone, "get_input_embeddings", None)
    emb = get() if callable(get) else None
    if emb is None:  # e.g. tiny-lstm: its first embedding table
        emb = next((m for m in backbone.modules() if isinstance(m, nn.Embedding)), None)
    return emb.num_embeddings if emb is not None else None


def position_limit(backbone) -> tuple[str, int] | None:
    """(config field, longest input in tokens), or None for models without a limit (LSTMs)."""
    config = getattr(backbone, "config", None)
    for field in POSITION_FIELDS:
        value = getattr(config, field, None)
        if isinstance(value, int) and value > 0:
            # RoBERTa-style embeddings number positions from pad_token_id + 1
            offset = (config.pad_token_id or 0) + 1 if "roberta" in str(config.model_type) else 0
            return field, value - offset
    return None


def _overridden(spec: ExperimentSpec) -> bool:
    return any(f in (spec.model.config_overrides or {}) for f in POSITION_FIELDS)


def check_fit(backbone: Any, tokenizer: Any, spec: ExperimentSpec) -> None:
    """SpecError unless every token id of `tokenizer` has an embedding row in `backbone` and
    `train.max_length` (plus a prompt method's virtual tokens) fits its position limit."""
    rows = input_embedding_rows(backbone)
    n_tokens = len(tokenizer) if tokenizer is not None else None
    if rows is not None and n_tokens is not None and n_tokens > rows:
        if "vocab_size" in (spec.model.config_overrides or {}):
            raise SpecError(
                f"model.config_overrides: vocab_size = {rows} is below the tokenizer's "
                f"{n_tokens} tokens; use at least {n_tokens}"
            )
        raise SpecError(
            f"model {spec.model.name!r}: its tokenizer has {n_tokens} tokens but the model "
            f"embeds only {rows}; token ids from {rows} on would crash the first forward pass"
        )
    limit = position_limit(backbone)
    if limit is None:
        return
    field, most = limit
    virtual = getattr(spec.method, "num_virtual_tokens", 0) or 0
    need = spec.train.max_length + virtual
    if need > most:
        extra = f" plus {virtual} virtual tokens of method {spec.method.kind!r}" if virtual else ""
        value = getattr(backbone.config, field)
        if _overridden(spec):
            raise SpecError(
                f"model.config_overrides: {field} = {value} leaves {most} positions, fewer than "
                f"train.max_length = {spec.train.max_length}{extra}; raise it or lower "
                "train.max_length"
            )
        raise SpecError(
            f"train.max_length = {spec.train.max_length}{extra} is above the model's position "
            f"limit of {most} tokens ({field} = {value}); lower train.max_length"
        )
