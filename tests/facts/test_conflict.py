"""Knowledge conflicts measured by margins, not top-1: the margin on a hand-built case, the
control task, the majority-object baseline, and a tiny run's conflict section and
log-likelihood forgetting by distance."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from forgetlab.metrics.distance import forgetting_by_distance
from forgetlab.observers.conflict import margin
from forgetlab.spec import spec_from_dict
from forgetlab.streams import build_stream
from forgetlab.streams.facts import generate_facts


def facts_stream(**stream):
    return build_stream(spec_from_dict({"stream": {"kind": "facts", **stream}}).stream)


def test_margin_excludes_the_new_object():
    # candidates 10 (original), 11 (new), 12, 13 with log-probs -1, 0.5, -2, -3
    scores = torch.tensor([-1.0, 0.5, -2.0, -3.0])
    pos = {10: 0, 11: 1, 12: 2, 13: 3}
    assert margin(scores, pos, label=10, new=11) == pytest.approx(1.0)  # vs 12, not vs 11
    assert margin(scores, pos, label=10, new=None) == pytest.approx(-1.5)  # vs 11
    assert margin(scores, pos, label=12, new=None) == pytest.approx(-2.5)


def test_control_task_learns_as_many_unrelated_facts_with_the_same_tags():
    kw = dict(n_tasks=2, facts_per_task=8, repetitions=2, conflict=0.25)
    rewrite = facts_stream(**kw)
    control = facts_stream(**kw, conflict_task="control")
    assert rewrite.task_names[-1] == "conflict" and control.task_names[-1] == "control"
    assert len(control.tasks[-1].train) == len(rewrite.tasks[-1].train) == 2 * 2 * 2
    assert len(control.tasks[-1].test) == len(rewrite.tasks[-1].test) == 4
    for a, b in zip(rewrite.tasks[:-1], control.tasks[:-1]):  # the same facts, same groups
        assert [(e.text, e.label, e.group) for e in a.test] == [
            (e.text, e.label, e.group) for e in b.test
        ]
    fs = generate_facts(2, 8, repetitions=2, conflict=0.25, seed=0)
    assert {f.subject for f in fs.controls}.isdisjoint(
        {f.subject for facts in fs.facts for f in facts}
    )
    # the new object of each overwritten fact, as a class id of its original task
    info = rewrite.info["conflict"]
    for r in fs.rewrites:
        ex = next(e for e in rewrite.tasks[r.fact.task].test if e.text == r.fact.prompt(0))
        assert ex.group == "overwritten"
        assert rewrite.class_names[info["new_label"][ex.uid]] == r.new_object
        assert info["new_label"][ex.uid] in rewrite.tasks[r.fact.task].classes


def test_majority_object_is_the_most_repeated_object_of_the_relation():
    s = facts_stream(n_tasks=1, facts_per_task=10, repetitions=1, conflict=0.2)
    fs = generate_facts(1, 10, repetitions=1, conflict=0.2, seed=0)
    info = s.info["conflict"]
    for f, ex in zip(fs.facts[0], s.tasks[0].test):
        same = [g.object for g in fs.facts[0] if g.relation == f.relation]
        top = max(same.count(o) for o in same)
        assert same.count(s.class_names[info["majority_label"][ex.uid]]) == top


def test_tiny_run_records_margins_before_and_after_the_last_task(tmp_path: Path):
    import forgetlab

    spec = spec_from_dict(
        {
            "model": {"name": "tiny-gpt2"},
            "stream": {"kind": "facts", "n_tasks": 2, "facts_per_task": 6, "conflict": 0.5},
            "train": {"epochs": 2, "lr": 3e-3, "batch_size": 8, "checkpoint": "none"},
        }
    )
    res = forgetlab.run(spec, out=tmp_path / "run").results.model_dump()
    c = res["conflict"]
    assert c["last_task"] == "rewrite" and c["stages"] == [1, 2]
    assert set(c["by_task"]) == {"geography", "biology"}
    drops = {g: [] for g in ("overwritten", "untouched")}
    for groups in c["by_task"].values():
        assert {g: d["n"] for g, d in groups.items()} == {"overwritten": 3, "untouched": 3}
        for g, d in groups.items():
            assert len(d["margin"]) == 2 and 0 <= d["majority"] <= 1
            drops[g].append(d["margin"][1] - d["margin"][0])
    for g, values in drops.items():
        assert c["margin_change"][g] == pytest.approx(sum(values) / len(values))
        assert res["metrics"][f"{g}_margin_change"] == pytest.approx(c["margin_change"][g])
    L = res["label_logprob_matrix"]
    assert len(L) == 3 and all(v < 0 for row in L for v in row)  # log-likelihoods
    assert res["forgetting_by_distance_logprob"] == pytest.approx(list(forgetting_by_distance(L)))
