"""Exact match, token F1 and ROUGE-L on hand-computed cases."""

from __future__ import annotations

import pytest

from forgetlab.eval.text_scores import (
    exact_match,
    normalize_answer,
    rouge_l,
    score_texts,
    text_metrics,
    token_f1,
)


def test_normalisation_is_squads():
    assert normalize_answer("  The Cat, sat!  ") == "cat sat"
    assert normalize_answer("An apple a day") == "apple day"


def test_exact_match():
    assert exact_match("The cat.", "cat") == 1.0
    assert exact_match("cat sat", "cat") == 0.0
    assert exact_match("", "") == 1.0


def test_token_f1_by_hand():
    # pred {cat, sat}, ref {cat, sat, down}: P = 2/2, R = 2/3, F1 = 2PR/(P+R) = 0.8
    assert token_f1("the cat sat", "cat sat down") == pytest.approx(0.8)
    # repeated tokens count as a bag: pred [a1 a1 b], ref [a1 b b]: overlap 2, P = R = 2/3
    assert token_f1("a1 a1 b", "a1 b b") == pytest.approx(2 / 3)
    assert token_f1("x", "y") == 0.0
    assert token_f1("", "") == 1.0 and token_f1("", "cat") == 0.0


def test_rouge_l_by_hand():
    # LCS of "a b c d" and "a c d e" is "a c d" (3): P = 3/4, R = 3/4, F = 0.75
    assert rouge_l("a b c d", "a c d e") == pytest.approx(0.75)
    # prediction "the cat" vs reference "the cat sat on the mat": LCS 2, P = 1, R = 2/6
    assert rouge_l("the cat", "the cat sat on the mat") == pytest.approx(2 * (1 / 3) / (1 + 1 / 3))
    assert rouge_l("", "cat") == 0.0
    assert rouge_l("Cat!", "cat") == 1.0  # rouge-score lower-cases and drops punctuation


def test_score_texts_runs_every_registered_metric():
    out = score_texts(["the cat sat", "dog"], ["cat sat down", "dog"])
    assert list(out) == text_metrics.in_order() == ["exact_match", "token_f1", "rouge_l"]
    assert out["exact_match"] == [0.0, 1.0]
    assert out["token_f1"] == pytest.approx([0.8, 1.0])
