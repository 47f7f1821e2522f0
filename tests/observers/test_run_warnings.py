"""Warnings of a silently useless run: a task not learned, replay memory = the stream, lr."""

from __future__ import annotations

import logging

from tests.conftest import tiny_wordnet

from forgetlab.observers.run_warnings import (
    lr_warnings,
    memory_warnings,
    spec_warnings,
    unlearned_tasks,
)
from forgetlab.spec import spec_from_dict


def test_unlearned_tasks_at_or_below_chance_plus_margin():
    # chance 1/2 and 1/4: 0.55 is at chance + 0.05 (warned), 0.56 and 0.31 are above
    found = unlearned_tasks([0.55, 0.56, 0.30, 0.31], [0.5, 0.5, 0.25, 0.25], list("abcd"))
    assert len(found) == 2
    assert found[0].startswith("task 'a' was not learned: accuracy 0.550")
    assert found[1].startswith("task 'c' was not learned: accuracy 0.300")
    assert "raise train.lr or train.epochs" in found[0]


def test_replay_memory_as_large_as_the_stream():
    d = tiny_wordnet()  # 3 tasks x 2 classes x 60 = 360 training examples
    big = spec_from_dict({**d, "strategy": [{"kind": "er", "memory_size": 360}]})
    small = spec_from_dict({**d, "strategy": [{"kind": "er", "memory_size": 359}]})
    frac = spec_from_dict({**d, "strategy": [{"kind": "er", "memory_fraction": 0.5}]})
    agem = spec_from_dict({**d, "strategy": [{"kind": "agem"}]})  # default 200 < 360
    assert memory_warnings(big.strategy, 360) == [
        "strategy er: memory_size 360 holds all 360 training examples of the stream, so "
        "replay becomes joint training; lower memory_size"
    ]
    assert memory_warnings(small.strategy, 360) == []
    assert memory_warnings(frac.strategy, 360) == []
    assert memory_warnings(agem.strategy, 360) == []
    assert len(memory_warnings(agem.strategy, 200)) == 1


def test_lr_far_from_what_the_model_needs():
    assert lr_warnings(1e-4, "full", pretrained=True) == []
    assert "above 0.001 for full fine-tuning" in lr_warnings(2e-3, "full", True)[0]
    assert lr_warnings(2e-3, "lora", True) == []  # adapters take larger rates
    assert lr_warnings(2e-3, "full", False) == []  # random-init tiny models
    assert "below 1e-06" in lr_warnings(5e-7, "lora", False)[0]
    minilm = spec_from_dict({**tiny_wordnet(), "model": {"name": "minilm"}})
    assert len(spec_warnings(minilm.model_copy(update={"train": minilm.train.model_copy(
        update={"lr": 5e-3})}), _stream(minilm))) == 1  # fmt: skip


def _stream(spec):
    from forgetlab.streams import build_experiment_stream

    return build_experiment_stream(spec)


def test_a_run_that_learns_nothing_warns_once_and_records_it(tmp_path, caplog):
    """lr 1e-7: tiny-bert stays at chance; each task gets one warning, the lr one too."""
    from forgetlab.experiment import run

    d = tiny_wordnet(train_per_class=16, test_per_class=10)
    d["train"] = {**d["train"], "epochs": 1, "lr": 1e-7}
    d["strategy"] = [{"kind": "er", "memory_size": 96}]  # 3 x 2 x 16 = 96 examples
    with caplog.at_level(logging.WARNING, logger="forgetlab"):
        res = run(spec_from_dict(d), out=tmp_path / "run").results
    said = [r.getMessage() for r in caplog.records if r.name == "forgetlab"]
    assert len(said) == len(set(said)) == len(res.warnings)  # each once
    assert sorted(said) == sorted(res.warnings)
    assert (
        sum("was not learned" in w for w in res.warnings)
        == sum(res.accuracy_matrix[i][i] <= res.baselines.chance[i][i] + 0.05 for i in range(3))
        >= 1
    )
    assert any("memory_size 96 holds all 96" in w for w in res.warnings)
    assert any("below 1e-06" in w for w in res.warnings)


def test_a_learned_run_has_no_warnings(tmp_path):
    from forgetlab.experiment import run

    d = tiny_wordnet(n_tasks=2, train_per_class=20, test_per_class=10)
    res = run(spec_from_dict(d), out=tmp_path / "run").results
    chance = res.baselines.chance
    assert all(res.accuracy_matrix[i][i] > chance[i][i] + 0.05 for i in range(2))  # learned
    assert res.warnings == []
