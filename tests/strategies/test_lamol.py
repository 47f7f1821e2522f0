"""`lamol`: the LM learns to write examples of its tasks and replays what it writes."""

from __future__ import annotations

from dataclasses import replace

import torch

from forgetlab.seeding import derived_rng
from forgetlab.spec import spec_from_dict
from forgetlab.train.encode import EncodeCache
from forgetlab.train.stream import stage_context
from tests.conftest import loop


def test_lamol_writes_parsable_pseudo_examples_and_replays_them(toy_files):
    train, test = toy_files
    spec = spec_from_dict(
        {
            "model": {"name": "tiny-gpt2"},
            "stream": {
                "kind": "files",
                "train": str(train),
                "test": str(test),
                "scenario": "task_incremental",
            },
            "strategy": {"kind": "lamol", "gen_weight": 1.0, "ratio": 0.5},
            "train": {"epochs": 30, "lr": 3e-3, "batch_size": 16, "checkpoint": "none"},
        }
    )
    learner, stream, (lamol,), stages = loop(spec)
    next(stages), next(stages)  # before training, stage 0
    ctx = stage_context(
        learner, stream, spec.train, 1, spec.seed, EncodeCache(learner), torch.device("cpu")
    )
    state = torch.random.get_rng_state()
    lamol.begin_task(replace(ctx, rng=derived_rng(spec.seed, "strategy", 1, 0)))
    assert torch.equal(state, torch.random.get_rng_state())  # global RNG untouched
    assert lamol.generated_ == 40  # ratio 0.5 x 80 examples, all for task 0
    pseudo = lamol.pseudo_
    assert len(pseudo) >= 10, "a model trained 30 epochs should write parsable examples"
    assert all(ex.task == 0 and ex.label in stream.tasks[0].classes for ex in pseudo)
    assert all(ex.uid >= 1_000_000_000 for ex in pseudo)
    batches = lamol.train_batches(ctx, ctx.batches(list(stream.tasks[1].train)))
    mixed = [e for b in batches for e in b]
    assert len(mixed) == 80 + len(pseudo) and {e.task for e in mixed} == {0, 1}
