"""SEQ*: what it freezes, when, and what pre-allocation changes."""

from __future__ import annotations

import torch

from forgetlab.models import build_learner
from forgetlab.progress import progress_bar
from forgetlab.run_context import EncodeCache, stage_context
from forgetlab.spec import spec_from_dict
from forgetlab.strategies import build_strategies
from forgetlab.streams import build_stream
from forgetlab.train.loop import train_stage


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
    stream = build_stream(spec.stream)
    learner = build_learner(spec, stream)
    return spec, stream, learner, build_strategies(spec.strategy)


def test_backbone_and_old_heads_frozen_after_warmup(toy_files):
    spec, stream, learner, strategies = setup(toy_files)
    assert learner.heads.kind == "cosine"  # the strategy's head choice reaches the model
    encode = EncodeCache(learner)
    with progress_bar(False) as bar:
        train_stage(
            stage_context(spec, stream, learner, 0, encode, torch.device("cpu")), strategies, bar
        )
        backbone = {n: p.detach().clone() for n, p in learner.backbone.named_parameters()}
        head0 = learner.heads.blocks[0].weight.detach().clone()
        train_stage(
            stage_context(spec, stream, learner, 1, encode, torch.device("cpu")), strategies, bar
        )
    assert all(torch.equal(backbone[n], p) for n, p in learner.backbone.named_parameters())
    assert torch.equal(head0, learner.heads.blocks[0].weight)
    assert [p.requires_grad for p in learner.heads.blocks[1].parameters()] == [True]


def test_preallocate_trains_future_rows_as_negatives(toy_files):
    spec, stream, learner, strategies = setup(toy_files, preallocate=True)
    future = learner.heads.blocks[1].weight.detach().clone()
    encode = EncodeCache(learner)
    ctx = stage_context(spec, stream, learner, 0, encode, torch.device("cpu"))
    mask = stream.candidate_mask(0, torch.tensor([0, 0]))
    assert not mask[:, 2:].any() and strategies[0].train_mask(ctx, mask).all()
    with progress_bar(False) as bar:
        train_stage(ctx, strategies, bar)
    assert not torch.equal(future, learner.heads.blocks[1].weight)  # trained before task 1
