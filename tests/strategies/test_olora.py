"""`olora`: per-task LoRA adapters; old ones frozen and still active; new ones pushed
orthogonal to the old subspaces."""

from __future__ import annotations

from pathlib import Path

import torch

import forgetlab
from forgetlab.spec import spec_from_dict
from forgetlab.strategies.olora import lora_layers
from tests.conftest import assert_whole_counts, loop


def spec(toy_files, lambda_orth: float):
    train, test = toy_files
    return spec_from_dict(
        {
            "model": {"name": "tiny-gpt2"},
            "stream": {"kind": "files", "train": str(train), "test": str(test)},
            "strategy": {"kind": "olora", "r": 4, "lambda_orth": lambda_orth},
            "train": {"epochs": 3, "lr": 1e-2, "batch_size": 16, "checkpoint": "none"},
        }
    )


def overlap_after_two_tasks(s) -> tuple[float, bool]:
    learner, stream, (olora,), stages = loop(s)
    next(stages), next(stages)  # before training, stage 0
    first = {
        id(m): m.lora_A["task0"].weight.detach().clone() for m in lora_layers(learner.backbone)
    }
    next(stages)
    layers = lora_layers(learner.backbone)
    unchanged = all(torch.equal(first[id(m)], m.lora_A["task0"].weight) for m in layers)
    overlap = sum(
        float((m.lora_A["task0"].weight @ m.lora_A["task1"].weight.T).pow(2).sum()) for m in layers
    )
    assert learner.backbone.base_model.active_adapter == ["task0", "task1"]
    return overlap, unchanged


def test_old_adapter_frozen_and_new_one_orthogonal(toy_files):
    plain, unchanged_plain = overlap_after_two_tasks(spec(toy_files, 0.0))
    orth, unchanged = overlap_after_two_tasks(spec(toy_files, 5.0))
    assert unchanged and unchanged_plain  # task 0's adapter is never trained again
    assert orth < plain / 2


def test_olora_runs_end_to_end(toy_files, tmp_path: Path):
    res = forgetlab.run(spec(toy_files, 0.5), out=tmp_path / "olora")
    assert_whole_counts(res.results)
    assert res.results.strategy_cost["olora"]["seconds"] > 0
