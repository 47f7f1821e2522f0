"""Contract over every registered strategy on tiny offline models.

Each strategy runs a 2-task stream, its penalties are finite and non-negative, a fresh
strategy holds no fitted state, the same seed gives the same matrix (the second run is killed
after stage 0 and resumed, so its state survives a restart), and a strategy that cannot work
with a learner says so at validation.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import forgetlab
from forgetlab.errors import ForgetlabError
from forgetlab.spec import spec_from_dict
from forgetlab.strategies import strategies
from forgetlab.validate import validate
from tests.conftest import assert_whole_counts, killed_after_stage_0, loop


def requiring(what: str, value: str) -> set[str]:
    """Strategies whose declared requirements (`Strategy.requires`) ask for `what` = `value`."""
    return {
        k for k in strategies.names() if strategies.get(k).requires.get(what, (None,))[0] == value
    }


CLASSIFIER_ONLY = requiring("mode", "classifier")
TEXT_TO_TEXT_ONLY = requiring("mode", "text_to_text")
TASK_INCREMENTAL_ONLY = requiring("scenario", "task_incremental")


def spec_for(kind: str, model: str, toy_files, **train):
    train_path, test_path = toy_files
    scenario = "task_incremental" if kind in TASK_INCREMENTAL_ONLY else "class_incremental"
    return spec_from_dict(
        {
            "model": {"name": model},
            "stream": {
                "kind": "files",
                "train": str(train_path),
                "test": str(test_path),
                "scenario": scenario,
            },
            "strategy": {"kind": kind},
            "train": {"epochs": 1, "lr": 3e-3, "batch_size": 16, "checkpoint": "none", **train},
        }
    )


def killed_after_stage_0_then_resumed(spec, out: Path):
    killed_after_stage_0(spec, out)
    return forgetlab.resume(out)


@pytest.mark.parametrize("kind", strategies.names())
def test_strategy_contract(kind: str, toy_files, tmp_path: Path):
    spec = spec_for(kind, "tiny-gpt2" if kind in TEXT_TO_TEXT_ONLY else "tiny-bert", toy_files)
    learner, stream, (strategy,), stages = loop(spec)
    assert strategy.fitted_state() == {}
    penalties: list[float] = []
    original = strategy.penalty

    def spy(ctx, batch, out):
        value = original(ctx, batch, out)
        if value is not None:
            penalties.append(float(value))
        return value

    strategy.penalty = spy  # type: ignore[method-assign]
    results = list(stages)
    assert [r.stage for r in results] == [-1, 0, 1]
    assert all(math.isfinite(p) for p in penalties)
    if penalties:  # a penalty that is always 0 (e.g. anchors aliasing the live weights) fails
        assert max(penalties) > 0
    assert all(r.stats.trained for r in results[1:]), "something trains at every stage"

    a = forgetlab.run(spec, out=tmp_path / "a")
    # b is killed after stage 0 and resumed: same matrix as a, bit for bit
    b = killed_after_stage_0_then_resumed(spec, tmp_path / "b")
    assert b.results.resumed_after == [0]
    assert a.accuracy_matrix.shape == (2, 2)
    assert a.results.accuracy_matrix == b.results.accuracy_matrix
    cost = a.results.strategy_cost[kind]
    hooks = [h for h in cost if h.endswith("_s")]
    assert {"begin_task_s", "trainable_s", "penalty_s", "end_task_s"} <= set(hooks)
    assert cost["seconds"] == pytest.approx(sum(cost[h] for h in hooks))


@pytest.mark.parametrize("kind", strategies.names())
def test_strategy_on_the_other_mode(kind: str, toy_files, tmp_path: Path):
    """Every strategy on a causal LM, or on a classifier for the text-to-text-only ones."""
    if kind in TEXT_TO_TEXT_ONLY:
        with pytest.raises(ForgetlabError, match="needs a causal LM"):
            validate(spec_for(kind, "tiny-bert", toy_files))
        return
    spec = spec_for(kind, "tiny-gpt2", toy_files)
    if kind in CLASSIFIER_ONLY:
        with pytest.raises(ForgetlabError, match="needs a classifier"):
            validate(spec)
        return
    res = forgetlab.run(spec, out=tmp_path / "lm")
    assert_whole_counts(res.results)


def test_strategies_compose_in_order(toy_files, tmp_path: Path):
    train_path, test_path = toy_files
    spec = spec_from_dict(
        {
            "model": {"name": "tiny-bert"},
            "stream": {"kind": "files", "train": str(train_path), "test": str(test_path)},
            "strategy": [{"kind": "er", "memory_size": 20}, {"kind": "ewc", "samples": 16}],
            "train": {"epochs": 1, "checkpoint": "none"},
        }
    )
    res = forgetlab.run(spec, out=tmp_path / "combo")
    assert res.results.strategies == ["er", "ewc"]
    assert res.results.strategy_cost["er"]["state_bytes"] > 0
    assert res.results.strategy_cost["ewc"]["state_bytes"] > 0


@pytest.mark.parametrize(
    ("kind", "method"),
    [
        ("ewc", "lora"),
        ("mas", "ia3"),
        ("lwf", "lora"),
        ("er", "prompt"),
        ("derpp", "adapter"),
        ("seq_star", "lora"),
        ("joint", "head"),
    ],
)
def test_strategies_with_methods(kind: str, method: str, toy_files, tmp_path: Path):
    """Strategies see only what the method trains; the two compose."""
    train_path, test_path = toy_files
    spec = spec_from_dict(
        {
            "model": {"name": "tiny-bert"},
            "method": {"kind": method},
            "stream": {"kind": "files", "train": str(train_path), "test": str(test_path)},
            "strategy": {"kind": kind},
            "train": {"epochs": 1, "lr": 3e-3, "batch_size": 16, "checkpoint": "none"},
        }
    )
    res = forgetlab.run(spec, out=tmp_path / f"{kind}-{method}")
    assert res.results.method == method and res.results.model.trainable_fraction < 0.5
    assert_whole_counts(res.results)
