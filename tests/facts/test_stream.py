"""The `facts` stream: counts, templates (canonical vs held out), conflict groups, Zipf groups,
20 tasks, spec checks."""

from __future__ import annotations

from collections import Counter

import pytest

from forgetlab.errors import SpecError
from forgetlab.spec import spec_from_dict
from forgetlab.streams import build_stream
from forgetlab.streams.facts import generate_facts


def facts_stream(**stream):
    return build_stream(spec_from_dict({"stream": {"kind": "facts", **stream}}).stream)


def test_counts_and_candidates():
    s = facts_stream(n_tasks=2, facts_per_task=10, repetitions=3)
    assert s.scenario == "task_incremental" and s.prompt == "{text}"
    assert s.task_names == ["geography", "biology"]
    assert [(len(t.train), len(t.test), len(t.classes)) for t in s.tasks] == [(30, 10, 10)] * 2
    assert s.candidates(stage=1, task=0) == s.tasks[0].classes
    uids = [e.uid for t in s.tasks for e in (*t.train, *t.test)]
    assert len(uids) == len(set(uids))
    for t in s.tasks:  # test = the facts themselves, once each
        assert Counter(e.text for e in t.train) == {e.text: 3 for e in t.test}
        assert {e.group for e in t.test} == {""}
    # texts and labels are the generator's facts, test in rank order
    fs = generate_facts(2, 10, repetitions=3, seed=0)
    assert s.class_names == fs.objects[0] + fs.objects[1]
    for t, facts in zip(s.tasks, fs.facts):
        assert [(e.text, s.verbalize(e.label)) for e in t.test] == [
            (f.prompt(0), f.object) for f in facts
        ]
    assert s.format_prompt(s.tasks[0].test[0].text) == s.tasks[0].test[0].text


@pytest.mark.parametrize(
    "test_template, train_templates", [("canonical", (0, 1)), ("held_out", (1, 2))]
)
def test_paraphrases(test_template, train_templates):
    s = facts_stream(
        n_tasks=1, facts_per_task=4, repetitions=4, paraphrases=2, test_template=test_template
    )
    facts = generate_facts(1, 4, repetitions=4, seed=0).facts[0]
    assert [e.text for e in s.tasks[0].test] == [f.prompt(0) for f in facts]
    # 4 copies cycle through the 2 training templates: 2 of each
    expected = Counter({f.prompt(i): 2 for f in facts for i in train_templates})
    assert Counter(e.text for e in s.tasks[0].train) == expected


def test_conflict_task_and_overwritten_groups():
    s = facts_stream(n_tasks=3, facts_per_task=10, repetitions=2, conflict=0.3, seed=1)
    assert s.task_names == ["geography", "biology", "law", "conflict"]
    conflict = s.tasks[3]
    assert len(conflict.train) == 18 and len(conflict.test) == 9
    new_answer = {e.text: s.verbalize(e.label) for e in conflict.test}
    for t in s.tasks[:3]:
        groups = Counter(e.group for e in t.test)
        assert groups == {"overwritten": 3, "untouched": 7}
        objects = {s.verbalize(c) for c in t.classes}
        for e in t.test:
            if e.group == "overwritten":  # same question, another object of the same task
                assert new_answer[e.text] != s.verbalize(e.label)
                assert new_answer[e.text] in objects
            else:
                assert e.text not in new_answer
    # the conflict task ranks among every object of the rewritten relations, old ones included
    old_answers = {
        s.verbalize(e.label) for t in s.tasks[:3] for e in t.test if e.group == "overwritten"
    }
    assert old_answers <= {s.verbalize(c) for c in conflict.classes}


def test_zipf_groups():
    s = facts_stream(n_tasks=1, facts_per_task=9, repetitions=6, zipf_s=1.0)
    # ranks 0..8 of 9: head q < 1/4 (ranks 0, 1), tail q >= 3/4 (ranks 6, 7, 8)
    assert Counter(e.group for e in s.tasks[0].test) == {"head": 2, "torso": 4, "tail": 3}
    # copies round(6 / r), r = 1..9: 6 3 2 2 1 1 1 1 1
    assert len(s.tasks[0].train) == 18
    copies = Counter(e.text for e in s.tasks[0].train)
    assert {copies[e.text] for e in s.tasks[0].test if e.group == "head"} == {6, 3}


def test_twenty_tasks():
    s = facts_stream(n_tasks=20, facts_per_task=50, repetitions=2)
    assert len(s.tasks) == 20 and len(set(s.task_names)) == 20
    assert s.task_names[12] == "domain12"
    assert all(len(t.test) == 50 and len(t.train) == 100 for t in s.tasks)
    assert s.num_classes == 20 * 10


@pytest.mark.parametrize(
    "fields, message",
    [
        (
            {"conflict": 0.01, "facts_per_task": 10},
            "stream.conflict: rewrites none of 10 facts per task; raise it (got 0.01)",
        ),
        (
            {"test_template": "held_out", "paraphrases": 4},
            "stream.test_template: held_out needs paraphrases <= 3, not 4 (got 'held_out')",
        ),
        ({"objects_per_relation": 1}, "stream.objects_per_relation: input should be greater"),
        ({"relations_per_task": 3}, "stream.relations_per_task: input should be less than"),
    ],
)
def test_bad_fields(fields, message):
    with pytest.raises(SpecError) as e:
        spec_from_dict({"stream": {"kind": "facts", **fields}})
    assert str(e.value).startswith(message)
