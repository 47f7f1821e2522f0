"""`imbalance`: geometric class counts with the given largest/smallest ratio, per task."""

from __future__ import annotations

from collections import Counter

import pytest

from forgetlab.errors import SpecError
from tests.transforms.helpers import apply, check_invariants, class_counts, toy_stream


@pytest.mark.parametrize(
    "classes, ratio, counts",
    [
        (3, 4.0, [60, 30, 15]),
        (2, 10.0, [60, 6]),
        (4, 8.0, [60, 30, 15, 8]),  # 60 * 8^(-r/3): 60, 30, 15, 7.5 -> 8
        (3, 1.0, [60, 60, 60]),
    ],
)
def test_ratio_sets_geometric_counts(classes, ratio, counts):
    base = toy_stream([[60] * classes, [60] * classes], test=4)
    out = apply(base, {"kind": "imbalance", "ratio": ratio})
    check_invariants(out)
    for t in out.tasks:
        kept = class_counts(t.train)
        assert sorted(kept.values(), reverse=True) == counts
        if ratio > 1:  # the most frequent class is the head
            most = max(kept, key=kept.get)
            assert {ex.group for ex in t.test if ex.label == most} == {"head"}
        assert Counter(ex.group for ex in t.test)["tail"] == 4 * (1 if classes < 6 else 2)
    assert out.name == f"toy+imbalance({ratio:g})"


def test_ratio_below_one_is_an_error():
    with pytest.raises(
        SpecError, match="^transform.0.ratio: input should be greater than or equal"
    ):
        apply(toy_stream([[2, 2]]), {"kind": "imbalance", "ratio": 0.5})
