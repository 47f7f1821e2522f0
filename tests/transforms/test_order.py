"""`order`: permutations by seed or explicit; classes renumbered so the invariants hold."""

from __future__ import annotations

import pytest

from forgetlab.errors import SpecError
from tests.transforms.helpers import apply, check_invariants, toy_stream


def test_explicit_order_renumbers_classes():
    base = toy_stream([[3, 3], [2, 2, 2]], scenario="task_incremental")
    out = apply(base, {"kind": "order", "order": [1, 0]})
    check_invariants(out)
    assert out.task_names == ["task1", "task0"]
    assert out.class_names == ("t1c0", "t1c1", "t1c2", "t0c0", "t0c1")
    assert [t.classes for t in out.tasks] == [(0, 1, 2), (3, 4)]
    assert out.candidates(stage=1, task=1) == (3, 4)
    # every example keeps its uid, text and class name; only ids and task indices move
    old = {
        ex.uid: (ex.text, base.class_names[ex.label])
        for t in base.tasks
        for ex in (*t.train, *t.test)
    }
    new = {
        ex.uid: (ex.text, out.class_names[ex.label])
        for t in out.tasks
        for ex in (*t.train, *t.test)
    }
    assert new == old
    assert out.name == "toy+order(1,0)" and out.scenario == "task_incremental"
    assert apply(base, {"kind": "order", "order": ["task1", "task0"]}) == out


def test_class_incremental_candidates_follow_the_new_order():
    out = apply(toy_stream([[2], [2, 2], [2, 2, 2]]), {"kind": "order", "order": [2, 0, 1]})
    check_invariants(out)
    assert out.candidates(stage=0, task=0) == (0, 1, 2)
    assert out.candidates(stage=1, task=0) == (0, 1, 2, 3)
    assert [len(t.classes) for t in out.tasks] == [3, 1, 2]


def test_seeded_permutation():
    base = toy_stream([[2, 2]] * 5)
    perms = set()
    for seed in range(5):
        out = apply(base, {"kind": "order"}, seed=seed)
        check_invariants(out)
        assert out == apply(base, {"kind": "order"}, seed=seed)
        assert sorted(out.task_names) == base.task_names
        perms.add(tuple(out.task_names))
        assert out.name == "toy+order(" + ",".join(n[-1] for n in out.task_names) + ")"
    assert len(perms) >= 4
    # the transform's own seed wins over the experiment's
    a = apply(base, {"kind": "order", "seed": 7}, seed=0)
    assert a == apply(base, {"kind": "order", "seed": 7}, seed=1)


@pytest.mark.parametrize(
    "order, message",
    [
        ([0], "transform.0.order: [0] has 1 tasks; the stream has 3"),
        ([0, 1, 3], "transform.0.order: task index 3 out of range (the stream has 3)"),
        ([0, 1, "task9"], "transform.0.order: no task named 'task9' (tasks: task0, task1, task2)"),
        ([0, 1, "task1"], "transform.0.order: [0, 1, 'task1'] names a task twice"),
        ([0, 1, 1], "transform.0.order: [0, 1, 1] names a task twice"),
    ],
)
def test_not_a_permutation(order, message):
    with pytest.raises(SpecError) as e:
        apply(toy_stream([[2], [2], [2]]), {"kind": "order", "order": order})
    assert str(e.value).startswith(message)
