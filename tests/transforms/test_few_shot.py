"""`few_shot`: k training examples per class (fewer when a class has fewer), in order."""

from __future__ import annotations

import pytest

from forgetlab.errors import SpecError
from tests.transforms.helpers import apply, check_invariants, class_counts, toy_stream


def test_k_per_class():
    base = toy_stream([[6, 6], [4, 2, 9]])
    out = apply(base, {"kind": "few_shot", "k": 5})
    check_invariants(out)
    assert class_counts(out.tasks[0].train) == {0: 5, 1: 5}
    assert class_counts(out.tasks[1].train) == {2: 4, 3: 2, 4: 5}
    for before, after in zip(base.tasks, out.tasks):
        kept = [ex for ex in before.train if ex in after.train]
        assert list(after.train) == kept  # a subsequence: the order is kept
        assert after.test == before.test
    assert out.name == "toy+few_shot(5)"


def test_seeded_choice():
    base = toy_stream([[10, 10]])
    a = apply(base, {"kind": "few_shot", "k": 2}, seed=0)
    assert a == apply(base, {"kind": "few_shot", "k": 2}, seed=0)
    others = [apply(base, {"kind": "few_shot", "k": 2}, seed=s) for s in range(1, 5)]
    assert any(o.tasks[0].train != a.tasks[0].train for o in others)


def test_k_must_be_positive():
    with pytest.raises(SpecError, match="^transform.0.k: input should be greater than or equal"):
        apply(toy_stream([[2]]), {"kind": "few_shot", "k": 0})
