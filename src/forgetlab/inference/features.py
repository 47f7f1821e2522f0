"""Membership features of one example from its per-token log-probabilities (pure numpy).

For a text x_1..x_n a causal LM gives log p(x_t | x_<t) (`logp`), and at each position the
mean and standard deviation of log p(z | x_<t) over the vocabulary z ~ p (`mu`, `sigma`).

    loss          mean negative log-probability (nats per token); ppl = exp(loss)
    min_k(k)      mean log-prob of the k fraction of tokens the model finds least likely
                  (Min-K% Prob, Shi et al. 2024); at least one token
    max_k(k)      mean log-prob of the k fraction it finds most likely
    min_k_pp(k)   Min-K%++ (Zhang et al. 2024): each token scored (logp - mu) / sigma, then
                  the mean of the k fraction lowest scores
    zlib_ratio    loss / zlib-compressed length of the text in bytes (Carlini et al. 2021)
    ratio, diff   loss(x) / loss(x'), loss(x) - loss(x') against a variant x' of the text
                  (lowercased, perturbed) or against a reference model's loss on x

Members have lower loss, higher min_k, and larger loss gaps to their perturbations.
"""

from __future__ import annotations

import zlib

import numpy as np

KS: tuple[float, ...] = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)


def loss(logp: np.ndarray) -> float:
    return float(-np.mean(logp))


def _k_count(n: int, k: float) -> int:
    return max(1, int(n * k))


def min_k(logp: np.ndarray, k: float) -> float:
    return float(np.mean(np.sort(logp)[: _k_count(len(logp), k)]))


def max_k(logp: np.ndarray, k: float) -> float:
    return float(np.mean(np.sort(logp)[::-1][: _k_count(len(logp), k)]))


def min_k_pp(logp: np.ndarray, mu: np.ndarray, sigma: np.ndarray, k: float) -> float:
    return min_k((logp - mu) / sigma, k)


def zlib_ratio(loss_value: float, text: str) -> float:
    return loss_value / len(zlib.compress(text.encode("utf-8")))


def token_features(logp: np.ndarray, mu: np.ndarray, sigma: np.ndarray, text: str) -> dict:
    """Every feature that needs only the text's own token statistics."""
    value = loss(logp)
    out = {"loss": value, "ppl": float(np.exp(value))}
    for k in KS:
        out[f"min_k_{k}"] = min_k(logp, k)
    for k in KS:
        out[f"max_k_{k}"] = max_k(logp, k)
    for k in KS:
        out[f"min_k_pp_{k}"] = min_k_pp(logp, mu, sigma, k)
    out["zlib_ratio"] = zlib_ratio(value, text)
    return out


def gap_features(name: str, loss_value: float, other_loss: float) -> dict:
    """`{name}_ratio` = loss / other, `{name}_diff` = loss - other."""
    return {f"{name}_ratio": loss_value / other_loss, f"{name}_diff": loss_value - other_loss}
