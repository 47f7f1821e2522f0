"""What an audit measures on two models, each with its 95% interval.

- `weight_change`: per layer (0 = embeddings, k = block k-1, then the head and final norm),
  ||theta_tuned - theta_base|| / ||theta_base|| over the layer's parameters (exact; no
  interval needed).
- `layer_cka`: linear CKA of each layer's pooled features, base vs tuned, on the same texts;
  interval: bootstrap over the texts.
- `probe_layers`: a linear probe (forgetlab.probing, L-BFGS logistic regression) per layer
  and task on each model's features; each accuracy with its Wilson interval, the difference
  with a paired bootstrap over the test examples.
- `perplexity_by_domain`: per text domain, each model's perplexity and their ratio, with a
  paired bootstrap over the texts.
- `unseen_tasks`: each model's accuracy on held-out multiple-choice tasks, the difference
  with a paired bootstrap over the items.
- `grown_losses`: the texts and items whose per-token loss grew most.

Bootstrap intervals are scipy's percentile bootstrap (`scipy.stats.bootstrap`, paired,
`suite.bootstrap` resamples) with a generator seeded from the suite's seed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

_BLOCK = re.compile(r"(?:^|\.)(?:h|layers|layer|blocks|block)\.(\d+)\.")
_EMBED = ("embed", "wte", "wpe", "word_embeddings", "position_embeddings")


def layer_of(name: str) -> tuple[float, str]:
    """(order, label) of a parameter: embeddings 0, block k at k + 1, the rest last."""
    m = _BLOCK.search(name)
    if m is not None:
        return int(m.group(1)) + 1, f"block {m.group(1)}"
    if any(e in name for e in _EMBED):
        return 0, "embeddings"
    return float("inf"), "head and final norm"


def weight_change(base, tuned) -> list[dict]:
    """Relative weight change per layer; parameters only one model has are counted apart.
    One parameter at a time, on its own device (no copy of a whole model)."""
    import torch

    b = dict(base.named_parameters())
    t = dict(tuned.named_parameters())
    groups: dict[str, dict] = {}
    with torch.no_grad():
        for name in sorted(set(b) | set(t)):
            order, label = layer_of(name)
            g = groups.setdefault(
                label,
                {
                    "order": order,
                    "delta2": 0.0,
                    "base2": 0.0,
                    "params": 0,
                    "added": 0,
                    "changed": 0,
                },
            )
            if name in b and name in t and b[name].shape == t[name].shape:
                x = b[name].detach().float()
                d = t[name].detach().to(x.device).float() - x
                g["delta2"] += float((d * d).sum())
                g["base2"] += float((x * x).sum())
                g["params"] += d.numel()
                g["changed"] += int((d != 0).sum())
            else:
                g["added"] += (t[name] if name in t else b[name]).numel()
    out = []
    for label, g in sorted(groups.items(), key=lambda kv: kv[1]["order"]):
        rel = (g["delta2"] ** 0.5) / (g["base2"] ** 0.5) if g["base2"] > 0 else float("nan")
        layer = None if g["order"] == float("inf") else int(g["order"])
        out.append(
            {
                "layer": layer,
                "name": label,
                "relative_change": rel,
                "params": g["params"],
                "changed_params": g["changed"],
                "unmatched_params": g["added"],
            }
        )
    return out


def paired_interval(
    stat: Callable, data: tuple[np.ndarray, ...], n_resamples: int, seed: int
) -> tuple[float, float]:
    """Percentile bootstrap 95% interval of a vectorised statistic of paired samples."""
    from scipy.stats import bootstrap

    if len(data[0]) < 2:
        return (float("nan"), float("nan"))
    res = bootstrap(
        data,
        stat,
        n_resamples=n_resamples,
        paired=True,
        vectorized=True,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def wilson(correct: np.ndarray) -> tuple[float, float]:
    from scipy.stats import binomtest

    n = len(correct)
    if n == 0:
        return (float("nan"), float("nan"))
    ci = binomtest(int(round(float(np.sum(correct)))), n).proportion_ci(method="wilson")
    return float(ci.low), float(ci.high)


def mean_difference(
    base: np.ndarray, tuned: np.ndarray, n_resamples: int, seed: int
) -> dict[str, float]:
    """Both means and tuned - base with its paired bootstrap interval."""
    low, high = paired_interval(
        lambda b, t, axis=-1: np.mean(t, axis=axis) - np.mean(b, axis=axis),
        (base, tuned),
        n_resamples,
        seed,
    )
    return {
        "base": float(np.mean(base)),
        "tuned": float(np.mean(tuned)),
        "difference": float(np.mean(tuned) - np.mean(base)),
        "low": low,
        "high": high,
    }


def ratio_of_perplexities(
    nll_b: np.ndarray, tok_b: np.ndarray, nll_t: np.ndarray, tok_t: np.ndarray, n: int, seed: int
) -> dict[str, float]:
    """Each model's perplexity over the texts and tuned / base, with a paired bootstrap."""

    def ratio(nb, tb, nt, tt, axis=-1):
        return np.exp(nt.sum(axis) / tt.sum(axis) - nb.sum(axis) / tb.sum(axis))

    low, high = paired_interval(ratio, (nll_b, tok_b, nll_t, tok_t), n, seed)
    base = float(np.exp(nll_b.sum() / tok_b.sum()))
    tuned = float(np.exp(nll_t.sum() / tok_t.sum()))
    return {"base": base, "tuned": tuned, "ratio": tuned / base, "low": low, "high": high}


def cka_interval(X: np.ndarray, Y: np.ndarray, n: int, seed: int) -> dict[str, float]:
    """Linear CKA of two feature sets of the same rows, with a bootstrap over the rows."""
    from scipy.stats import bootstrap

    from forgetlab.probing.cka import linear_cka

    value = linear_cka(X, Y)
    if value > 1 - 1e-6:  # the same representation: every resample gives 1
        return {"value": float(value), "low": float(value), "high": float(value)}

    def stat(idx):
        return linear_cka(X[idx.astype(int)], Y[idx.astype(int)])

    # BCa: resampling rows with replacement biases CKA upwards; BCa corrects for the bias.
    res = bootstrap(
        (np.arange(len(X)),),
        stat,
        n_resamples=n,
        vectorized=False,
        method="BCa",
        rng=np.random.default_rng(seed),
    )
    return {
        "value": float(value),
        "low": float(res.confidence_interval.low),
        "high": float(res.confidence_interval.high),
    }


def probe_correct(train_X, train_y, test_X, test_y) -> np.ndarray:
    """1/0 per test example of a linear probe fit on the training features."""
    from forgetlab.probing.probes import build_probe

    probe = build_probe("linear").fit(train_X, train_y)
    return (probe.predict(test_X) == test_y).astype(np.float64)
