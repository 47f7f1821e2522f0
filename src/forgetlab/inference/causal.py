"""Per-example membership features of texts under a causal LM (and a reference model).

    table = causal_features(model, tokenizer, texts, seed=0)      # pandas DataFrame
    table.columns   # loss, ppl, min_k_*, max_k_*, min_k_pp_*, zlib_ratio, lowercase_*,
                    # {perturbation}_ratio / _diff, and ref_ratio / ref_diff with a reference

Every token of the text is scored: a BOS token is put in front (the tokenizer's, or EOS for
GPT-2-style tokenizers that have none), so the first word counts too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from forgetlab.errors import DataError
from forgetlab.inference.features import gap_features, token_features
from forgetlab.inference.perturb import DEFAULT_PERTURBATIONS, perturb


@dataclass(frozen=True)
class TokenScores:
    """log p(x_t | x_<t) of each scored token, and the mean / std of log p over the vocab."""

    logp: np.ndarray  # (n,)
    mu: np.ndarray  # (n,)
    sigma: np.ndarray  # (n,)


def token_ids(tokenizer, text: str, max_length: int) -> list[int]:
    ids = tokenizer(text, add_special_tokens=True)["input_ids"]
    start = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
    if start is not None and (not ids or ids[0] != start):
        ids = [start] + ids
    return ids[:max_length]


def _device(model) -> torch.device:
    return next(model.parameters()).device


def _logits(model, tokenizer, texts: Sequence[str], batch_size: int, max_length: int):
    """Yield (token ids, (T, V) logits) per text, batch by batch, in eval mode (the model's
    train/eval mode is restored afterwards)."""
    device, was_training = _device(model), model.training
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    encoded = [token_ids(tokenizer, t, max_length) for t in texts]
    short = [i for i, ids in enumerate(encoded) if len(ids) < 2]
    if short:
        raise DataError(f"text {short[0]} ({texts[short[0]]!r}) has no token to score")
    model.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(encoded), batch_size):
                chunk = encoded[start : start + batch_size]
                width = max(len(ids) for ids in chunk)
                ids = torch.tensor([x + [pad] * (width - len(x)) for x in chunk], device=device)
                mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in chunk])
                logits = model(input_ids=ids, attention_mask=mask.to(device)).logits
                logits = logits[:, -width:]  # (B, T, V); drops virtual prompt tokens if any
                for row, x in enumerate(chunk):
                    yield x, logits[row, : len(x) - 1]  # position t predicts token t + 1
    finally:
        model.train(was_training)


def token_scores(
    model, tokenizer, texts: Sequence[str], *, batch_size: int = 16, max_length: int = 128
) -> list[TokenScores]:
    """TokenScores of each text."""
    out = []
    for ids, logits in _logits(model, tokenizer, texts, batch_size, max_length):
        logp_all = torch.log_softmax(logits.float(), dim=-1)  # (n, V)
        p_all = logp_all.exp()
        mu = (p_all * logp_all).sum(-1)
        var = (p_all * (logp_all - mu.unsqueeze(-1)).square()).sum(-1)
        target = torch.tensor(ids[1:], device=logits.device).unsqueeze(-1)
        logp = logp_all.gather(-1, target).squeeze(-1)
        sigma = var.clamp_min(1e-12).sqrt()
        out.append(TokenScores(logp.cpu().numpy(), mu.cpu().numpy(), sigma.cpu().numpy()))
    return out


def losses(
    model, tokenizer, texts: Sequence[str], *, batch_size: int = 16, max_length: int = 128
) -> np.ndarray:
    """Mean token negative log-likelihood of each text."""
    out = []
    for ids, logits in _logits(model, tokenizer, texts, batch_size, max_length):
        target = torch.tensor(ids[1:], device=logits.device).unsqueeze(-1)
        logp = torch.log_softmax(logits.float(), dim=-1).gather(-1, target)  # as token_scores
        out.append(-logp.cpu().numpy().mean())
    return np.array(out)


def causal_features(
    model,
    tokenizer,
    texts: Sequence[str],
    *,
    seed: int = 0,
    perturbations: Sequence[str] = DEFAULT_PERTURBATIONS,
    reference: tuple | None = None,
    render: Callable[[int, str], str] | None = None,
    batch_size: int = 16,
    max_length: int = 128,
):
    """One row of features per text (see the module docstring). `reference` is (model,
    tokenizer) of a model that never saw the suspect data, e.g. the base model. `render(i,
    text)` turns text i, or its lowercased or perturbed variant, into the string scored (a
    learner's prompt and label around it); by default the text itself."""
    import pandas as pd

    render = render or (lambda i, t: t)
    kw = dict(batch_size=batch_size, max_length=max_length)
    shown = [render(i, t) for i, t in enumerate(texts)]
    scores = token_scores(model, tokenizer, shown, **kw)
    rows = [token_features(s.logp, s.mu, s.sigma, t) for s, t in zip(scores, shown)]
    variants = {"lowercase": [t.lower() for t in texts]}
    variants.update({p: [perturb(t, p, seed) for t in texts] for p in perturbations})
    for name, changed in variants.items():
        other = losses(model, tokenizer, [render(i, t) for i, t in enumerate(changed)], **kw)
        for row, o in zip(rows, other):
            row.update(gap_features(name, row["loss"], float(o)))
    if reference is not None:
        for row, o in zip(rows, losses(*reference, shown, **kw)):
            row.update(gap_features("ref", row["loss"], float(o)))
    return pd.DataFrame(rows)
