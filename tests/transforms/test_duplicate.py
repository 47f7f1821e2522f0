"""`duplicate`: exact counts, copies with new uids, fraction chosen by seed, validation."""

from __future__ import annotations

from collections import Counter

import pytest

from forgetlab.errors import SpecError
from tests.transforms.helpers import apply, check_invariants, toy_stream


def test_factor_repeats_every_training_example():
    base = toy_stream([[6, 6], [4, 4, 4]])
    out = apply(base, {"kind": "duplicate", "factor": 3})
    check_invariants(out)
    assert [len(t.train) for t in out.tasks] == [36, 36]
    for before, after in zip(base.tasks, out.tasks):
        assert set(Counter(ex.text for ex in after.train).values()) == {3}
        assert after.test == before.test
    assert out.name == "toy+duplicate(3)"
    assert out.info["transforms"] == ["duplicate(3)"]
    # the originals keep their uids; copies follow their original with fresh ones
    first = out.tasks[0].train[:3]
    assert first[0] == base.tasks[0].train[0]
    assert first[1].text == first[2].text == first[0].text
    assert min(first[1].uid, first[2].uid) > max(ex.uid for t in base.tasks for ex in t.test)


def test_fraction_duplicates_a_seeded_share():
    base = toy_stream([[6, 6], [5, 5]])
    spec = {"kind": "duplicate", "factor": 2, "fraction": 0.25}
    out = apply(base, spec, seed=0)
    # round(0.25 * 12) = 3 and round(0.25 * 10) = round(2.5) = 3 (halves round up)
    assert [len(t.train) for t in out.tasks] == [15, 13]
    twice = [
        {x for x, n in Counter(ex.text for ex in t.train).items() if n == 2} for t in out.tasks
    ]
    assert [len(s) for s in twice] == [3, 3]
    assert apply(base, spec, seed=0) == out
    others = [apply(base, spec, seed=s) for s in range(1, 6)]
    assert any(o.tasks[0].train != out.tasks[0].train for o in others)


def test_only_selected_tasks_change():
    base = toy_stream([[6, 6], [4, 4, 4]])
    out = apply(base, {"kind": "duplicate", "factor": 2, "tasks": ["task1"]})
    assert out.tasks[0] == base.tasks[0]
    assert len(out.tasks[1].train) == 24
    assert out.name == "toy+duplicate(2,tasks=task1)"


def test_factor_one_changes_nothing_but_the_name():
    base = toy_stream([[3, 3]])
    out = apply(base, {"kind": "duplicate", "factor": 1})
    assert out.tasks == base.tasks and out.name == "toy+duplicate(1)"


@pytest.mark.parametrize(
    "table, message",
    [
        ({"factor": 0}, "transform.0.factor: input should be greater than or equal to 1"),
        ({"fraction": 0}, "transform.0.fraction: input should be greater than 0"),
        ({"fraction": 1.5}, "transform.0.fraction: input should be less than or equal to 1"),
        ({"tasks": ["nope"]}, "transform.0.tasks: no task named 'nope' (tasks: task0, task1)"),
        ({"tasks": [2]}, "transform.0.tasks: task index 2 out of range (the stream has 2)"),
    ],
)
def test_bad_fields_are_one_line_spec_errors(table, message):
    with pytest.raises(SpecError) as e:
        apply(toy_stream([[2, 2], [2, 2]]), {"kind": "duplicate", **table})
    assert str(e.value).startswith(message) and "\n" not in str(e.value)
