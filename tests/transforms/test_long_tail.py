"""`long_tail`: Zipf class counts per task; test examples tagged head/torso/tail by rank."""

from __future__ import annotations

from collections import Counter

import pytest

from forgetlab.errors import SpecError
from forgetlab.spec import spec_from_dict
from forgetlab.streams import build_experiment_stream
from forgetlab.streams.transforms import frequency_bucket
from tests.conftest import tiny_wordnet
from tests.transforms.helpers import apply, check_invariants, class_counts, toy_stream


@pytest.mark.parametrize(
    "n, buckets",
    [
        (1, ["head"]),
        (2, ["head", "tail"]),
        (3, ["head", "torso", "tail"]),
        (4, ["head", "torso", "torso", "tail"]),
        (5, ["head", "torso", "torso", "tail", "tail"]),
        (6, ["head", "head", "torso", "torso", "tail", "tail"]),
    ],
)
def test_bucket_rule(n, buckets):
    assert [frequency_bucket(r, n) for r in range(n)] == buckets


@pytest.mark.parametrize(
    "s, counts", [(1.0, [60, 30, 20]), (2.0, [60, 15, 7]), (0.5, [60, 42, 35])]
)
def test_zipf_counts_and_bucket_tags(s, counts):
    base = toy_stream([[60, 60, 60]], test=10)
    out = apply(base, {"kind": "long_tail", "s": s})
    check_invariants(out)
    kept = class_counts(out.tasks[0].train)
    assert sorted(kept.values(), reverse=True) == counts
    by_count = {n: c for c, n in kept.items()}
    bucket_of = {ex.label: ex.group for ex in out.tasks[0].test}
    assert bucket_of == {
        by_count[counts[0]]: "head",
        by_count[counts[1]]: "torso",
        by_count[counts[2]]: "tail",
    }
    assert Counter(ex.group for ex in out.tasks[0].test) == {"head": 10, "torso": 10, "tail": 10}
    assert out.name == f"toy+long_tail(s={s:g})"


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_min_per_class_and_unequal_classes(seed):
    # n_head is the task's largest class (40): rank 2 wants round(40 / 2^3) = 5 -> floor 8;
    # a head class with only 10 examples keeps its 10
    out = apply(
        toy_stream([[10, 40]]), {"kind": "long_tail", "s": 3.0, "min_per_class": 8}, seed=seed
    )
    head = next(ex.label for ex in out.tasks[0].test if ex.group == "head")
    expected = {0: 10, 1: 8} if head == 0 else {0: 8, 1: 40}
    assert class_counts(out.tasks[0].train) == expected


def test_which_class_is_head_depends_on_the_seed():
    base = toy_stream([[30, 30, 30]])
    heads = set()
    for seed in range(6):
        out = apply(base, {"kind": "long_tail"}, seed=seed)
        assert out == apply(base, {"kind": "long_tail"}, seed=seed)
        heads.add(max(class_counts(out.tasks[0].train).items(), key=lambda kv: kv[1])[0])
    assert len(heads) >= 2


def test_wordnet_stream_with_long_tail():
    data = tiny_wordnet(n_tasks=2, classes_per_task=2, train_per_class=60, test_per_class=20)
    stream = build_experiment_stream(spec_from_dict({**data, "transform": {"kind": "long_tail"}}))
    check_invariants(stream)
    assert stream.name == "wordnet-cil+long_tail(s=1)"
    for t in stream.tasks:
        assert sorted(class_counts(t.train).values()) == [30, 60]
        assert Counter(ex.group for ex in t.test) == {"head": 20, "tail": 20}


def test_exponent_must_be_positive():
    with pytest.raises(SpecError, match="^transform.0.s: input should be greater than 0"):
        apply(toy_stream([[2, 2]]), {"kind": "long_tail", "s": 0})
