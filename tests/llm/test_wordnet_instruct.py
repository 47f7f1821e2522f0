"""The bundled instruction stream: one task family per stage, train-pool synsets only, no
synset on both sides of the split."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from forgetlab.data.wordnet import load_wordnet
from forgetlab.errors import DataError
from forgetlab.streams import build_stream
from forgetlab.streams.wordnet_instruct import (
    NOUNS,
    WordNetInstructSpec,
    definition,
    examples,
    in_instruct_test,
)
from forgetlab.streams.wordnet_stream import in_test_pool


def test_gloss_parts():
    g = 'large and roomy; "a commodious harbor"; "a commodious building"'
    assert definition(g) == "large and roomy"
    assert examples(g) == ["a commodious harbor", "a commodious building"]


def test_families_train_pool_only_and_split_by_synset():
    spec = WordNetInstructSpec(
        tasks=["define", "category", "word", "example", "pos"], train_per_task=30, test_per_task=10
    )
    stream = build_stream(spec)
    assert stream.generative and stream.task_names == [
        "define",
        "category",
        "word",
        "example",
        "pos",
    ]
    assert stream.info["categories"] == list(NOUNS)
    rows = load_wordnet()
    counts = Counter(g.lemma.lower() for g in rows)
    by_lemma = {g.lemma: g for g in rows if counts[g.lemma.lower()] == 1}
    quoted = re.compile(r'"(.+)"')
    for task in stream.tasks:
        assert (len(task.train), len(task.test)) == (30, 10)
        for split, test_side in ((task.train, False), (task.test, True)):
            for ex in split:
                lemma = ex.target if task.name == "word" else quoted.search(ex.text).group(1)
                g = by_lemma[lemma]  # the lemma names one synset
                assert not in_test_pool(g.gloss)  # never a WordNet test-pool gloss
                assert in_instruct_test(g) == test_side
                assert g.label in NOUNS
                want = {
                    "define": definition(g.gloss),
                    "category": g.label.replace(".", " "),
                    "word": g.lemma,
                    "example": (examples(g.gloss) or [None])[0],
                    "pos": "noun",
                }[task.name]
                assert ex.target == want


def test_seeded_and_bounded():
    a = build_stream(WordNetInstructSpec(tasks=["word"], train_per_task=5, test_per_task=5))
    b = build_stream(WordNetInstructSpec(tasks=["word"], train_per_task=5, test_per_task=5))
    c = build_stream(WordNetInstructSpec(tasks=["word"], train_per_task=5, test_per_task=5, seed=1))
    assert a.tasks == b.tasks and a.tasks != c.tasks
    with pytest.raises(DataError, match=r"stream.train_per_task: task 'example' has \d+ train"):
        build_stream(
            WordNetInstructSpec(tasks=["example"], categories=["noun.Tops"], train_per_task=500)
        )
