"""`sparsity`: a fraction of each class's training data kept, in the selected tasks."""

from __future__ import annotations

import pytest

from forgetlab.errors import SpecError
from tests.transforms.helpers import apply, check_invariants, class_counts, toy_stream


@pytest.mark.parametrize(
    "keep, first, second",
    [
        (0.5, {0: 3, 1: 3}, {2: 2, 3: 2, 4: 5}),  # 0.5 * 9 = 4.5 rounds up to 5
        (0.1, {0: 1, 1: 1}, {2: 1, 3: 1, 4: 1}),  # never fewer than one
        (1.0, {0: 6, 1: 6}, {2: 4, 3: 4, 4: 9}),
    ],
)
def test_keep_per_class(keep, first, second):
    out = apply(toy_stream([[6, 6], [4, 4, 9]]), {"kind": "sparsity", "keep": keep})
    check_invariants(out)
    assert class_counts(out.tasks[0].train) == first
    assert class_counts(out.tasks[1].train) == second


def test_one_sparse_task():
    base = toy_stream([[6, 6], [4, 4, 4], [8, 8]])
    out = apply(base, {"kind": "sparsity", "keep": 0.25, "tasks": [2]})
    assert out.tasks[:2] == base.tasks[:2]
    assert class_counts(out.tasks[2].train) == {5: 2, 6: 2}
    assert out.name == "toy+sparsity(0.25,tasks=2)"


@pytest.mark.parametrize("keep", [0, 1.5, -0.1])
def test_keep_must_be_a_fraction(keep):
    with pytest.raises(SpecError, match="^transform.0.keep: input should be"):
        apply(toy_stream([[2]]), {"kind": "sparsity", "keep": keep})
