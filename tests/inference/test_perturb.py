"""Perturbations: deterministic, and each does only its own kind of edit."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from forgetlab.data.synonyms import load_synonyms
from forgetlab.errors import ForgetlabError
from forgetlab.inference.perturb import (
    DEFAULT_PERTURBATIONS,
    case_change,
    char_swap,
    perturb,
    synonym,
    whitespace,
    word_deletion,
)

TEXT = "A large car that is driven quickly along the broad road, near an old building."


@pytest.mark.parametrize("kind", DEFAULT_PERTURBATIONS)
def test_same_text_same_edit_and_seed_matters(kind):
    assert perturb(TEXT, kind, seed=1) == perturb(TEXT, kind, seed=1)
    edits = {perturb(TEXT, kind, seed=s) for s in range(8)}
    assert len(edits) > 1  # the seed picks the edit
    assert all(e != TEXT for e in edits)  # 15 words: some edit always happens here


def test_char_swap_swaps_adjacent_letters_within_words():
    out = char_swap("abcd efgh", random.Random(0), rate=1.0)
    words = out.split(" ")
    assert [sorted(w) for w in words] == [list("abcd"), list("efgh")]
    for old, new in zip(["abcd", "efgh"], words):
        diff = [i for i in range(4) if old[i] != new[i]]
        assert len(diff) == 2 and diff[1] == diff[0] + 1


def test_word_deletion_keeps_an_ordered_subset_and_one_word():
    out = word_deletion(TEXT, random.Random(0)).split()
    words = TEXT.split()
    it = iter(words)
    assert all(w in it for w in out) and len(out) < len(words)  # a subsequence
    assert word_deletion("one two", random.Random(0), rate=1.0) == "one"


def test_case_change_changes_only_case():
    out = case_change(TEXT, random.Random(0))
    assert out.lower() == TEXT.lower() and out != TEXT
    assert case_change("abc", random.Random(0), rate=1.0) == "ABC"


def test_whitespace_changes_only_spaces():
    out = whitespace(TEXT, random.Random(0))
    assert out.replace(" ", "") == TEXT.replace(" ", "") and out != TEXT


def test_synonym_uses_the_wordnet_table_and_keeps_punctuation_and_capitals():
    table = load_synonyms()
    assert table["car"] == ("auto", "automobile", "machine")
    assert len(table) == 9336
    out = synonym("Car, big car.", random.Random(0), rate=1.0)
    first, second, third = out.split(" ")
    assert first[0].isupper() and first.endswith(",") and first[:-1].lower() in table["car"]
    assert second in table["big"] and third[:-1] in table["car"] and third.endswith(".")
    assert synonym("xyzzy plugh", random.Random(0), rate=1.0) == "xyzzy plugh"


def test_unknown_perturbation_is_one_line():
    with pytest.raises(ForgetlabError, match="did you mean 'synonym'"):
        perturb(TEXT, "synonyms")


def test_perturbation_counts_are_near_their_rates():
    rng = random.Random(0)
    text = " ".join(["word"] * 2000)
    kept = len(word_deletion(text, rng).split())
    assert 1500 < kept < 1700  # rate 0.2: 1600 expected, sd 18
    flipped = Counter(case_change("a" * 4000, rng))["A"]
    assert 900 < flipped < 1100  # rate 0.25: 1000 expected, sd 27
