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
import torch

import forgetlab
from forgetlab.errors import ForgetlabError
from forgetlab.models import build_learner
from forgetlab.progress import progress_bar
from forgetlab.run_context import EncodeCache, stage_context
from forgetlab.spec import spec_from_dict
from forgetlab.strategies import build_strategies, strategies
from forgetlab.streams import build_stream
from forgetlab.train.loop import train_stage
from forgetlab.validate import validate
from tests.conftest import killed_after_stage_0

CLASSIFIER_ONLY = {"derpp", "seq_star"}
TEXT_TO_TEXT_ONLY = {"lamol"}
TASK_INCREMENTAL_ONLY = {"branch"}


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
    stream = build_stream(spec.stream)
    learner = build_learner(spec, stream)
    (strategy,) = build_strategies(spec.strategy)
    assert strategy.fitted_state() == {}
    penalties: list[float] = []
    original = strategy.penalty

    def spy(ctx, batch, out):
        value = original(ctx, batch, out)
        if value is not None:
            penalties.append(float(value))
        return value

    strategy.penalty = spy  # type: ignore[method-assign]
    encode = EncodeCache(learner)
    with progress_bar(False) as bar:
        for stage in range(len(stream.tasks)):
            ctx = stage_context(spec, stream, learner, stage, encode, torch.device("cpu"))
            train_stage(ctx, [strategy], bar)
    assert all(math.isfinite(p) and p >= 0 for p in penalties)
    assert strategy.state_bytes() >= 0

    a = forgetlab.run(spec, out=tmp_path / "a")
    if strategy.cannot_resume:
        b = forgetlab.run(spec, out=tmp_path / "b")
    else:  # b is killed after stage 0 and resumed: same matrix as a, bit for bit
        b = killed_after_stage_0_then_resumed(spec, tmp_path / "b")
        assert b.results.resumed_after == [0]
    assert a.accuracy_matrix.shape == (2, 2)
    assert a.results.accuracy_matrix == b.results.accuracy_matrix
    assert kind in a.results.strategy_cost


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
    assert res.accuracy_matrix.shape == (2, 2)


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
    assert res.accuracy_matrix.shape == (2, 2)
