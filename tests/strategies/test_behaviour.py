"""Each strategy does what it claims on a small fixed-seed MiniLM stream (about 3 minutes).

Class-incremental (3 tasks x 2 WordNet categories): `seq` forgets almost everything; er,
derpp, ewc, mas and seq_star must forget less. Task-incremental: lwf must forget less than
seq (distillation protects old heads' outputs; in class-incremental streams it cannot stop
new classes from winning, a known limit of LwF).
"""

from __future__ import annotations

from functools import cache

import pytest

import forgetlab
from forgetlab.spec import spec_from_dict


@cache
def run(stream: str, kind: str, tmp: str) -> dict:
    spec = spec_from_dict(
        {
            "name": f"{stream}-{kind}",
            "model": {"name": "minilm"},
            "stream": {
                "kind": stream,
                "n_tasks": 3,
                "classes_per_task": 2,
                "train_per_class": 60,
                "test_per_class": 30,
                "seed": 0,
            },
            "strategy": {"kind": kind},
            "train": {"epochs": 2, "lr": 1e-4, "batch_size": 16, "checkpoint": "none"},
        }
    )
    return forgetlab.run(spec, out=f"{tmp}/{stream}-{kind}").metrics


@pytest.fixture(scope="module")
def tmp(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("behaviour"))


def test_seq_forgets_in_class_incremental(tmp):
    m = run("wordnet-cil", "seq", tmp)
    assert m["learning_accuracy"] > 0.85 and m["average_forgetting"] > 0.8


@pytest.mark.parametrize("kind", ["er", "derpp", "ewc", "mas", "seq_star"])
def test_strategy_forgets_less_than_seq_class_incremental(kind, tmp):
    seq = run("wordnet-cil", "seq", tmp)
    m = run("wordnet-cil", kind, tmp)
    assert m["average_forgetting"] < seq["average_forgetting"] - 0.1
    assert m["average_accuracy"] > seq["average_accuracy"]


def test_lwf_forgets_less_than_seq_task_incremental(tmp):
    seq = run("wordnet-til", "seq", tmp)
    lwf = run("wordnet-til", "lwf", tmp)
    assert seq["average_forgetting"] > 0.03
    assert lwf["average_forgetting"] < seq["average_forgetting"]
