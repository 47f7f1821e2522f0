"""Knowledge updates: the stream's plan (revised facts get a new version in a later task),
the three groups scored by log-probability margins on a hand-built case, and the `knowledge`
observer's groups after every stage of a real run."""

from __future__ import annotations

import math

import pytest

from forgetlab.errors import SpecError
from forgetlab.observers.knowledge import KnowledgeUpdates
from forgetlab.spec import spec_from_dict
from forgetlab.streams import build_experiment_stream
from forgetlab.streams.facts.knowledge import current_versions, score_groups
from tests.conftest import loop

XYZ = ["x", "y", "z"]
PLAN = [  # a revised law fact, an unrevised one, a geography fact, one revised only later
    {
        "uid": 1,
        "task": "law",
        "objects": XYZ,
        "versions": [["law", "x"], ["u1", "y"]],
        "revisable": True,
    },
    {"uid": 2, "task": "law", "objects": XYZ, "versions": [["law", "x"]], "revisable": True},
    {
        "uid": 3,
        "task": "geo",
        "objects": ["p", "q"],
        "versions": [["geo", "p"]],
        "revisable": False,
    },
    {
        "uid": 4,
        "task": "law",
        "objects": XYZ,
        "versions": [["law", "z"], ["u2", "x"]],
        "revisable": True,
    },
]
LOGP = {
    1: {"x": -1.0, "y": -0.5, "z": -3.0},  # new y wins by 0.5 over x, beats old x by 0.5
    2: {"x": -2.0, "y": -1.0, "z": -4.0},  # x loses to y by 1.0
    3: {"p": -0.2, "q": -1.2},  # p wins by 1.0
    4: {"x": -0.1, "y": -2.0, "z": -0.4},  # target z (u2 not trained): loses to x by 0.3
}


def test_groups_score_a_hand_built_case():
    trained = {"law", "geo", "u1"}
    assert current_versions(PLAN, trained) == {
        1: ("y", "x", "revised"),
        2: ("x", None, "unrevised"),
        3: ("p", None, "other"),
        4: ("z", None, "unrevised"),
    }
    got = score_groups(PLAN, trained, LOGP)
    # majority over targets per relation: xyz -> y, x, z once each -> "x" (first by name)
    assert got["revised"] == {
        "n": 1,
        "margin": 0.5,
        "win": 1.0,
        "majority_win": 0.0,
        "old_margin": 0.5,
        "old_win": 1.0,
    }
    assert got["unrevised"]["n"] == 2
    assert got["unrevised"]["margin"] == pytest.approx((-1.0 + -0.3) / 2)
    assert got["unrevised"]["win"] == 0.0 and got["unrevised"]["majority_win"] == 0.5
    assert got["other"] == {"n": 1, "margin": pytest.approx(1.0), "win": 1.0, "majority_win": 1.0}
    # only law trained: geography is not scored, nothing is revised yet
    early = score_groups(PLAN, {"law"}, LOGP)
    assert early["other"]["n"] == 0 and early["other"]["margin"] is None
    assert early["revised"]["n"] == 0 and early["unrevised"]["n"] == 3
    # before training every fact counts with its first version
    assert {u: v[0] for u, v in current_versions(PLAN, None).items()} == {
        1: "x",
        2: "x",
        3: "p",
        4: "z",
    }


def updates_spec(**stream):
    return spec_from_dict(
        {
            "model": {"name": "tiny-gpt2", "config_overrides": {"n_layer": 1, "n_embd": 32}},
            "stream": {
                "kind": "facts-updates",
                "domains": ["law", "medicine"],
                "other_domains": ["geography"],
                "facts_per_task": 8,
                "objects_per_relation": 3,
                "repetitions": 1,
                "updates": 2,
                "revise": 0.25,
                **stream,
            },
            "train": {"epochs": 1, "batch_size": 8, "lr": 1e-3},
        }
    )


def test_the_stream_revises_facts_at_later_stages():
    stream = build_experiment_stream(updates_spec())
    assert stream.task_names == ["law", "medicine", "geography", "update1", "update2"]
    plan = stream.info["knowledge"]
    assert len(plan) == 24
    by_uid = {ex.uid: ex for t in stream.tasks[:3] for ex in t.test}
    revised = [f for f in plan if len(f["versions"]) > 1]
    assert len(revised) == 2 * 2 * 2  # 2 updates x 2 facts x 2 revised domains
    for u, task in ((1, stream.tasks[3]), (2, stream.tasks[4])):
        mine = [f for f in revised if f["versions"][1][0] == f"update{u}"]
        assert len(task.test) == len(mine) == 4
        new = {(by_uid[f["uid"]].text, f["versions"][1][1]) for f in mine}
        assert {(ex.text, stream.class_names[ex.label]) for ex in task.test} == new
        for f in mine:  # another object of the same relation
            assert f["versions"][1][1] != f["versions"][0][1]
            assert f["versions"][1][1] in f["objects"]
    groups = {ex.uid: ex.group for t in stream.tasks[:3] for ex in t.test}
    for f in plan:
        want = (
            "other"
            if not f["revisable"]
            else ("revised" if len(f["versions"]) > 1 else "unrevised")
        )
        assert groups[f["uid"]] == want
        assert stream.class_names[by_uid[f["uid"]].label] == f["versions"][0][1]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("domains", ["lawz"], "unknown domain"),
        ("other_domains", ["law"], "listed twice"),
        ("updates", 5, "need more than 8 facts"),
        ("revise", 0.01, "revises none"),
    ],
)
def test_bad_update_streams_name_the_field(field, value, message):
    with pytest.raises(SpecError, match=message):
        updates_spec(**{field: value})


def test_the_observer_scores_the_groups_after_every_stage():
    spec = updates_spec()
    observer = KnowledgeUpdates(build_experiment_stream(spec).info["knowledge"])
    _, _, _, stages = loop(spec, observers=[observer])
    counts = []
    for r in stages:
        rec = r.records["knowledge"]["knowledge"]
        counts.append(tuple(rec[g]["n"] for g in ("revised", "unrevised", "other")))
        for g in rec.values():
            assert g["n"] == 0 or math.isfinite(g["margin"])
    # before training every fact; then learned domains; updates move facts to "revised"
    assert counts == [(0, 16, 8), (0, 8, 0), (0, 16, 0), (0, 16, 8), (4, 12, 8), (8, 8, 8)]
