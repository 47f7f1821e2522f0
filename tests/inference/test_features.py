"""Every causal-LM feature against a hand computation on a hand-built bigram 'LM'."""

from __future__ import annotations

import math
import zlib
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from forgetlab.inference import features as F
from forgetlab.inference.causal import causal_features, losses, token_scores
from forgetlab.inference.perturb import DEFAULT_PERTURBATIONS, perturb

# P[i] = next-token distribution after token i (0 = BOS, 1-3 = a b c, 4 = anything else)
P = np.array(
    [
        [0.1, 0.4, 0.2, 0.2, 0.1],
        [0.1, 0.1, 0.5, 0.2, 0.1],
        [0.1, 0.1, 0.1, 0.6, 0.1],
        [0.1, 0.5, 0.1, 0.1, 0.2],
        [0.2, 0.2, 0.2, 0.2, 0.2],
    ]
)
Q = np.full((5, 5), 0.2)  # a uniform reference model


class BigramLM(nn.Module):
    """logits = log P[input token]: softmax gives back P exactly."""

    def __init__(self, table: np.ndarray) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.tensor(np.log(table), dtype=torch.float32))

    def forward(self, input_ids, attention_mask=None):
        return SimpleNamespace(logits=self.w[input_ids])


class CharTokenizer:
    bos_token_id = 0
    eos_token_id = 0
    pad_token_id = 0

    def __call__(self, text, add_special_tokens=True):
        return {"input_ids": [{"a": 1, "b": 2, "c": 3}.get(c, 4) for c in text]}


def ids_of(text: str) -> list[int]:
    return [0] + [{"a": 1, "b": 2, "c": 3}.get(c, 4) for c in text]


def hand_logp(text: str, table=P) -> list[float]:
    ids = ids_of(text)
    return [math.log(table[a][b]) for a, b in zip(ids, ids[1:])]


def hand_loss(text: str, table=P) -> float:
    lp = hand_logp(text, table)
    return -sum(lp) / len(lp)


def test_token_scores_and_loss_by_hand():
    s = token_scores(BigramLM(P), CharTokenizer(), ["abca"])[0]
    # transitions BOS->a .4, a->b .5, b->c .6, c->a .5
    assert s.logp == pytest.approx([math.log(0.4), math.log(0.5), math.log(0.6), math.log(0.5)])
    assert F.loss(s.logp) == pytest.approx(-math.log(0.4 * 0.5 * 0.6 * 0.5) / 4, rel=1e-6)
    # mean and std of log p over the vocabulary after BOS: p = .1 .4 .2 .2 .1
    mu0 = 0.2 * math.log(0.1) + 0.4 * math.log(0.4) + 0.4 * math.log(0.2)
    var0 = 0.2 * (math.log(0.1) - mu0) ** 2 + 0.4 * (math.log(0.4) - mu0) ** 2
    var0 += 0.4 * (math.log(0.2) - mu0) ** 2
    assert s.mu[0] == pytest.approx(mu0, rel=1e-5)
    assert s.sigma[0] == pytest.approx(math.sqrt(var0), rel=1e-5)


def test_min_k_max_k_min_k_pp_zlib_by_hand():
    logp = np.log([0.4, 0.5, 0.6, 0.5])
    assert F.min_k(logp, 0.5) == pytest.approx(math.log(0.4 * 0.5) / 2)  # 2 least likely
    assert F.max_k(logp, 0.5) == pytest.approx(math.log(0.6 * 0.5) / 2)  # 2 most likely
    assert F.min_k(logp, 0.05) == pytest.approx(math.log(0.4))  # at least one token
    assert F.max_k(logp, 0.6) == pytest.approx(math.log(0.6 * 0.5) / 2)  # int(2.4) = 2
    mu, sigma = np.array([-1.0, 0.0, -2.0, 0.0]), np.array([0.5, 1.0, 2.0, 4.0])
    z = [(math.log(0.4) + 1) / 0.5, math.log(0.5), (math.log(0.6) + 2) / 2, math.log(0.5) / 4]
    assert F.min_k_pp(logp, mu, sigma, 0.5) == pytest.approx(sum(sorted(z)[:2]) / 2)
    assert F.zlib_ratio(2.0, "abcabc") == pytest.approx(2.0 / len(zlib.compress(b"abcabc")))
    assert F.token_features(logp, mu, sigma, "x")["ppl"] == pytest.approx(math.exp(-np.mean(logp)))


def test_feature_table_gaps_and_reference_by_hand():
    text = "abc cab bca acb bac cba abc cab bca acb bac cba"
    row = causal_features(
        BigramLM(P), CharTokenizer(), [text], seed=3, reference=(BigramLM(Q), CharTokenizer())
    ).iloc[0]
    loss = hand_loss(text)
    assert row["loss"] == pytest.approx(loss, rel=1e-5)
    assert row["min_k_0.2"] == pytest.approx(np.mean(sorted(hand_logp(text))[:3]), rel=1e-5)
    assert row["zlib_ratio"] == pytest.approx(loss / len(zlib.compress(text.encode())), rel=1e-5)
    assert row["lowercase_ratio"] == pytest.approx(1.0) and row["lowercase_diff"] == 0
    changed = 0
    for p in DEFAULT_PERTURBATIONS:
        other = perturb(text, p, seed=3)
        changed += other != text
        assert row[f"{p}_diff"] == pytest.approx(loss - hand_loss(other), abs=1e-5), p
        assert row[f"{p}_ratio"] == pytest.approx(loss / hand_loss(other), rel=1e-5), p
    assert changed == 4  # all but synonym (WordNet knows none of these words)
    assert row["ref_diff"] == pytest.approx(loss - math.log(5), rel=1e-5)
    assert row["ref_ratio"] == pytest.approx(loss / math.log(5), rel=1e-5)


def test_padding_does_not_change_scores_on_tiny_gpt2():
    from tests.inference.conftest import tiny_gpt2

    model, tok = tiny_gpt2(0)
    model.eval()  # no dropout in the hand computation below
    short, long = "a small cat", "a much longer text about a dog that runs in the park all day"
    alone = token_scores(model, tok, [short])[0]
    batched = token_scores(model, tok, [long, short], batch_size=2)[1]
    assert batched.logp == pytest.approx(alone.logp, abs=1e-4)
    # and against the model's own logits, computed here by hand
    ids = [tok.eos_token_id] + tok(short)["input_ids"]
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids])).logits[0, :-1]
    expected = torch.log_softmax(logits, -1)[torch.arange(len(ids) - 1), ids[1:]]
    assert alone.logp == pytest.approx(expected.numpy(), abs=1e-4)
    assert losses(model, tok, [short])[0] == pytest.approx(-expected.mean().item(), abs=1e-4)


def test_model_mode_is_restored():
    model = BigramLM(P).train()
    token_scores(model, CharTokenizer(), ["ab"])
    assert model.training
