"""SEQ*: what it freezes, when, and what pre-allocation changes."""

from __future__ import annotations

import torch

from forgetlab.spec import spec_from_dict
from forgetlab.train.stream import stage_context
from tests.conftest import loop


def setup(toy_files, **strategy):
    train, test = toy_files
    spec = spec_from_dict(
        {
            "model": {"name": "tiny-bert"},
            "stream": {"kind": "files", "train": str(train), "test": str(test)},
            "strategy": {"kind": "seq_star", **strategy},
            "train": {"epochs": 1, "lr": 3e-3, "batch_size": 16, "checkpoint": "none"},
        }
    )
    return spec, *loop(spec)


def test_backbone_and_old_heads_frozen_after_warmup(toy_files):
    spec, learner, stream, strategies, stages = setup(toy_files)
    assert learner.heads.kind == "cosine"  # the strategy's head choice reaches the model
    next(stages), next(stages)  # before training, stage 0
    backbone = {n: p.detach().clone() for n, p in learner.backbone.named_parameters()}
    head0 = learner.heads.blocks[0].weight.detach().clone()
    result = next(stages)  # stage 1
    assert all(torch.equal(backbone[n], p) for n, p in learner.backbone.named_parameters())
    assert torch.equal(head0, learner.heads.blocks[0].weight)
    assert [p.requires_grad for p in learner.heads.blocks[1].parameters()] == [True]
    assert result.stats.trained == {"heads.blocks.1.weight"}  # the loop trained only that


def test_preallocate_trains_future_rows_as_negatives(toy_files):
    spec, learner, stream, strategies, stages = setup(toy_files, preallocate=True)
    future = learner.heads.blocks[1].weight.detach().clone()
    ctx = stage_context(learner, stream, spec.train, 0, spec.seed, None, torch.device("cpu"))
    mask = stream.candidate_mask(0, torch.tensor([0, 0]))
    assert not mask[:, 2:].any() and strategies[0].train_mask(ctx, mask).all()
    next(stages), next(stages)
    assert not torch.equal(future, learner.heads.blocks[1].weight)  # trained before task 1
