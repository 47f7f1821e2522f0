"""How a text-to-text learner ranks candidate labels from their tokens' log-probabilities.

    combine_label_logprobs(picked, keep, "mean")   # (N,) one score per candidate row

`picked[n, t]` is the log-probability of target token t of row n, `keep[n, t]` marks the
label's tokens (the label's word pieces and its closing EOS). The scores (`eval.label_score`):

- `sum`: the label's log-likelihood, sum_t log p(token_t). Every extra token adds a negative
  term, so a label of 3 tokens loses to one of 1 token unless each of its tokens is nearly
  certain: labels that split into more BPE pieces are under-predicted.
- `mean` (default): the sum divided by the number of label tokens, the per-token
  log-likelihood; length-robust.
- `first_token`: log p of the label's first token only (labels sharing their first token tie).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import torch

LabelScore = Literal["sum", "mean", "first_token"]
LABEL_SCORES: tuple[str, ...] = ("sum", "mean", "first_token")


def combine_label_logprobs(
    picked: torch.Tensor, keep: torch.Tensor, how: str = "mean"
) -> torch.Tensor:
    """(N,) score of each row's label from its (N, T) per-token log-probabilities."""
    import torch

    if how not in LABEL_SCORES:
        raise ValueError(f"label_score {how!r}: choose one of {', '.join(LABEL_SCORES)}")
    masked = picked * keep
    if how == "sum":
        return masked.sum(1)
    if how == "mean":
        return masked.sum(1) / keep.sum(1).clamp_min(1)
    first = keep.int().argmax(1)  # position of the first label token
    out = picked.gather(1, first[:, None]).squeeze(1)
    return torch.where(keep.any(1), out, torch.zeros_like(out))


def label_token_counts(tokenizer, names: list[str]) -> list[int]:
    """Tokens of each label as a text-to-text learner writes it (" " + name, no EOS)."""
    return [len(tokenizer(" " + n, add_special_tokens=False)["input_ids"]) for n in names]
