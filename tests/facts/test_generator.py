"""The fact generator: determinism, structure, Zipf copies, and conflicts (exact counts)."""

from __future__ import annotations

from forgetlab.streams.facts import generate_facts
from forgetlab.streams.facts.domains import BUILTIN


def test_same_seed_same_facts_other_seed_other_facts():
    kw = dict(n_tasks=3, facts_per_task=10, conflict=0.3)
    a, b, c = (
        generate_facts(**kw, seed=4),
        generate_facts(**kw, seed=4),
        generate_facts(**kw, seed=5),
    )
    assert a == b
    assert {f.subject for t in a.facts for f in t}.isdisjoint(
        {f.subject for t in c.facts for f in t}
    )


def test_structure():
    fs = generate_facts(3, 10, relations_per_task=2, objects_per_relation=4, seed=0)
    assert [d.name for d in fs.domains] == ["geography", "biology", "law"]
    subjects = [f.subject for t in fs.facts for f in t]
    assert len(subjects) == 30 == len(set(subjects))
    for k, facts in enumerate(fs.facts):
        assert len(facts) == 10 and [f.rank for f in facts] == list(range(10))
        assert len(fs.objects[k]) == 8 == len(set(fs.objects[k]))
        for rel in fs.domains[k].relations:
            assert sum(f.relation == rel for f in facts) == 5
        for f in facts:
            assert f.task == k and f.object in fs.pools[k][f.relation.name]
            assert f.copies == 1
    geo = fs.facts[0][0]
    assert geo.prompt(0) in (
        f"The capital of {geo.subject} is",
        f"The longest river of {geo.subject} is",
    )
    # objects are unique across tasks too, so no two tasks share a candidate
    assert len({o for objs in fs.objects for o in objs}) == 24


def test_zipf_copies_by_rank():
    fs = generate_facts(1, 10, repetitions=8, zipf_s=1.0, seed=0)
    # round(8 / r) for r = 1..10, at least 1 (halves round up: 8/3 = 2.67 -> 3, 8/5 = 1.6 -> 2)
    assert [f.copies for f in fs.facts[0]] == [8, 4, 3, 2, 2, 1, 1, 1, 1, 1]
    flat = generate_facts(1, 10, repetitions=3, zipf_s=0.0, seed=0)
    assert {f.copies for f in flat.facts[0]} == {3}


def test_conflicts_rewrite_a_share_of_every_task():
    fs = generate_facts(3, 10, objects_per_relation=3, conflict=0.3, seed=2)
    assert len(fs.rewrites) == 9  # round(0.3 * 10) = 3 per task
    for k in range(3):
        assert len(fs.rewritten(k)) == 3
    for r in fs.rewrites:
        assert r.new_object != r.fact.object
        assert r.new_object in fs.pools[r.fact.task][r.fact.relation.name]
    assert len({r.fact.subject for r in fs.rewrites}) == 9
    assert generate_facts(3, 10, conflict=0.0, seed=2).rewrites == ()


def test_more_tasks_than_built_in_domains():
    fs = generate_facts(24, 4, seed=0)
    names = [d.name for d in fs.domains]
    assert names[: len(BUILTIN)] == [d.name for d in BUILTIN]
    assert names[len(BUILTIN) :] == [f"domain{k}" for k in range(len(BUILTIN), 24)]
    made_up = fs.domains[-1].relations
    assert len(made_up) == 2 and made_up[0].templates[0] == f"The {made_up[0].name} of {{s}} is"
    assert len({o for objs in fs.objects for o in objs}) == 24 * 10
