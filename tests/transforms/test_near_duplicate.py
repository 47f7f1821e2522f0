"""`near_duplicate`: exact numbers of perturbed copies, what each perturbation does, seeds."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from forgetlab.errors import SpecError
from forgetlab.streams.transforms.near_duplicate import char_noise, drop_words, reorder_clauses
from tests.transforms.helpers import apply, check_invariants, toy_stream

CLAUSES = {"second clause", "third clause"}


@pytest.mark.parametrize("rate, extra", [(1.0, 12), (0.5, 6), (2.5, 30), (0.1, 1)])
def test_rate_sets_the_number_of_copies(rate, extra):
    base = toy_stream([[6, 6]])
    out = apply(base, {"kind": "near_duplicate", "rate": rate})
    check_invariants(out)
    train = out.tasks[0].train
    assert len(train) == 12 + extra
    originals = {ex.uid for ex in base.tasks[0].train}
    copies = [ex for ex in train if ex.uid not in originals]
    assert len(copies) == extra
    if rate >= 1:  # passes over a shuffled order: every example gets floor(rate) or more
        sources = Counter(ex.label for ex in copies)
        assert min(sources.values()) >= int(rate) * 6


def test_copies_follow_their_source_and_keep_its_label():
    base = toy_stream([[4, 4]])
    spec = {"kind": "near_duplicate", "rate": 1.0, "word_dropout": 0, "char_noise": 0}
    out = apply(base, spec)
    train = out.tasks[0].train
    for i in range(0, len(train), 2):  # rate 1: original, its copy, original, its copy...
        original, copy = train[i], train[i + 1]
        assert original in base.tasks[0].train and copy.label == original.label
        head, *rest = original.text.split(", ", 1)
        # clause reordering only: the same three clauses (split at , and ;)
        assert sorted(copy.text.split(", ")) == sorted([head, *CLAUSES])


def test_perturbations():
    rng = random.Random(0)
    text = "one two three four five six seven eight nine ten"
    dropped = drop_words(text, 0.5, rng)
    kept = dropped.split()
    assert 0 < len(kept) < 10 and kept == [w for w in text.split() if w in kept]
    assert drop_words("solo", 0.99, rng) == "solo"  # one word always stays
    assert char_noise(text, 0.0, rng) == text
    noisy = char_noise(text, 0.3, rng)
    assert noisy != text and noisy.count(" ") == text.count(" ")  # spaces are never edited
    assert reorder_clauses("no clause here", rng) == "no clause here"
    parts = reorder_clauses("a b, c d; e f, g", random.Random(3)).split(", ")
    assert sorted(parts) == ["a b", "c d", "e f", "g"]


def test_seeded():
    base = toy_stream([[5, 5]])
    spec = {"kind": "near_duplicate", "rate": 0.6}
    a, b, c = apply(base, spec, seed=1), apply(base, spec, seed=1), apply(base, spec, seed=2)
    assert a == b and a.tasks[0].train != c.tasks[0].train
    assert a.name == "toy+near_duplicate(0.6)"


def test_needs_some_noise_and_a_positive_rate():
    off = {"word_dropout": 0, "char_noise": 0, "reorder_clauses": False}
    with pytest.raises(SpecError, match="^transform.0: no perturbation"):
        apply(toy_stream([[2]]), {"kind": "near_duplicate", **off})
    with pytest.raises(SpecError, match="^transform.0.rate: input should be greater than 0"):
        apply(toy_stream([[2]]), {"kind": "near_duplicate", "rate": 0})
