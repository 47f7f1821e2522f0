"""The memory's parts: the stored set never exceeds its size, retrieval returns the planted
nearest item (cosine through faiss, BM25), frozen embeddings are reused by uid."""

from __future__ import annotations

import random
from collections import Counter

import pytest
import torch

from forgetlab.retrieval.bm25 import BM25Index
from forgetlab.retrieval.index import CosineIndex
from forgetlab.retrieval.store import aligned_rows, new_memory, offer
from forgetlab.streams.task import Example


def examples(n: int, task: int = 0, start: int = 0, classes: int = 3) -> list[Example]:
    return [Example(f"text {start + i}", (start + i) % classes, task, start + i) for i in range(n)]


@pytest.mark.parametrize("selection", ["reservoir", "class_balanced"])
def test_stored_set_never_exceeds_its_size(selection):
    memory, rng = new_memory(selection), random.Random(0)
    for t in range(5):
        offer(memory, examples(37, t, start=100 * t), capacity=20, rng=rng)
        assert len(memory) == 20
        assert len({e.uid for e in memory.items}) == 20  # no item twice
    if selection == "class_balanced":  # 20 slots over 3 classes: 7, 7, 6
        assert sorted(Counter(e.label for e in memory.items).values()) == [6, 7, 7]
    else:  # reservoir: every example seen had the same chance, so all 5 tasks are there
        assert {e.task for e in memory.items} == set(range(5))


def test_all_keeps_every_example_and_newest_replaces_in_place():
    memory, rng = new_memory("all"), random.Random(0)
    offer(memory, examples(10), capacity=None, rng=rng, key=lambda e: e.text)
    offer(memory, examples(4, task=1, start=10), capacity=None, rng=rng, key=lambda e: e.text)
    assert [e.uid for e in memory.items] == list(range(14))
    # a newer example with the text of stored item 3 takes its place; two copies: the last wins
    newer = [Example("text 3", 2, 2, 50), Example("text 3", 1, 2, 51), Example("new", 0, 2, 52)]
    offer(memory, newer, capacity=None, rng=rng, key=lambda e: e.text)
    assert len(memory) == 15
    assert memory.items[3] == Example("text 3", 1, 2, 51)
    assert memory.items[-1].uid == 52
    assert [e.text for e in memory.items].count("text 3") == 1


def test_cosine_index_returns_the_planted_nearest():
    gen = torch.Generator().manual_seed(0)
    rows = torch.randn(50, 8, generator=gen)
    query = rows[[17, 3]] * torch.tensor([[5.0], [0.2]]) + 1e-3  # same direction, other norm
    sims, idx = CosineIndex(rows).search(query, k=3)
    assert idx[:, 0].tolist() == [17, 3]
    assert sims[:, 0].tolist() == pytest.approx([1.0, 1.0], abs=1e-3)
    expected = torch.nn.functional.cosine_similarity(query[:1], rows).topk(3)
    assert idx[0].tolist() == expected.indices.tolist()
    assert sims[0].tolist() == pytest.approx(expected.values.tolist(), abs=1e-5)
    sims, idx = CosineIndex(rows[:2]).search(query, k=5)  # fewer rows than k
    assert idx.shape == (2, 2)


def test_bm25_returns_the_planted_text_and_excludes():
    texts = [
        "The capital of Veltria is",
        "The drug Orsk treats",
        "The capital of Dravik is",
        "The longest river of Veltria is",
        "The symphony Kalm was composed by",
        "The moon Tessa orbits",
    ]
    index = BM25Index(texts)
    # both rare words match the first; "capital" and "Veltria" are as rare (2 texts each), and
    # BM25 prefers the shorter text among the two that share one of them
    assert index.search("the capital of veltria is", k=3) == [0, 2, 3]
    assert index.search("The capital of Veltria is", k=1, exclude=frozenset({0})) == [2]
    assert index.search("Orsk", k=1) == [1]
    assert BM25Index([]).search("x", k=2) == []


def test_aligned_rows_reuse_rows_of_kept_items_and_embed_new_ones():
    old = examples(3)
    rows = torch.arange(6.0).view(3, 2)
    now = [old[2], Example("x", 0, 1, 9), old[0]]
    calls = []

    def embed_new(items):
        calls.append([e.uid for e in items])
        return torch.full((len(items), 2), -1.0)

    got = aligned_rows(old, rows, now, embed_new)
    assert calls == [[9]]
    assert got.tolist() == [[4.0, 5.0], [-1.0, -1.0], [0.0, 1.0]]
