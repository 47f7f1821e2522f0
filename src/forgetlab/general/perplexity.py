"""Per-text next-token loss of a causal LM: the parts of a perplexity.

    nll, tokens = text_losses(backbone, tokenizer, texts, batch_size=16, max_length=128)
    perplexity(nll, tokens)          # exp(sum nll / sum tokens)

Each text is tokenized without special tokens, cut to `max_length - 1` tokens and preceded by
the tokenizer's BOS token (EOS when it has none, as GPT-2 separates documents), so that every
token of the text is predicted from its prefix and scored. Batches are right-padded; the
loss is computed in float32 whatever the model's dtype.
"""

from __future__ import annotations

import math

import numpy as np


def encode_texts(tokenizer, texts: list[str], max_length: int) -> list[list[int]]:
    start = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
    if start is None:
        from forgetlab.errors import ForgetlabError

        raise ForgetlabError("perplexity: the tokenizer has neither a BOS nor an EOS token")
    ids = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
    return [[start] + t[: max_length - 1] for t in ids]


def text_losses(
    backbone, tokenizer, texts: list[str], *, batch_size: int, max_length: int, device=None
) -> tuple[np.ndarray, np.ndarray]:
    """(summed next-token NLL in nats, scored tokens) per text, in text order."""
    import torch
    import torch.nn.functional as F

    device = device if device is not None else next(backbone.parameters()).device
    encoded = encode_texts(tokenizer, texts, max_length)
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))  # little padding
    nll = np.zeros(len(encoded))
    count = np.zeros(len(encoded), dtype=np.int64)
    was_training = backbone.training
    backbone.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                width = max(len(encoded[i]) for i in rows)
                ids = torch.zeros((len(rows), width), dtype=torch.long)
                attn = torch.zeros((len(rows), width), dtype=torch.long)
                for r, i in enumerate(rows):
                    ids[r, : len(encoded[i])] = torch.tensor(encoded[i])
                    attn[r, : len(encoded[i])] = 1
                ids, attn = ids.to(device), attn.to(device)
                logits = backbone(input_ids=ids, attention_mask=attn).logits[:, -width:]
                targets = ids[:, 1:].masked_fill(attn[:, 1:] == 0, -100)
                loss = F.cross_entropy(
                    logits[:, :-1].float().reshape(-1, logits.shape[-1]),
                    targets.reshape(-1),
                    ignore_index=-100,
                    reduction="none",
                ).view(len(rows), width - 1)
                sums = loss.sum(1).double().cpu().numpy()
                counts = attn[:, 1:].sum(1).cpu().numpy()
                for r, i in enumerate(rows):
                    nll[i], count[i] = sums[r], counts[r]
    finally:
        backbone.train(was_training)
    return nll, count


def perplexity(nll: np.ndarray, tokens: np.ndarray) -> float:
    """exp of the mean NLL per token over all texts."""
    total = float(np.sum(tokens))
    return math.exp(float(np.sum(nll)) / total) if total > 0 else float("nan")
