"""`lamol`: the LM learns to write examples of its tasks and replays what it writes."""

from __future__ import annotations

import torch

from forgetlab.models import build_learner
from forgetlab.progress import progress_bar
from forgetlab.run_context import EncodeCache, stage_context
from forgetlab.spec import spec_from_dict
from forgetlab.strategies import build_strategies
from forgetlab.streams import build_stream
from forgetlab.train.loop import train_stage


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
    stream = build_stream(spec.stream)
    learner = build_learner(spec, stream)
    (lamol,) = build_strategies(spec.strategy)
    encode = EncodeCache(learner)
    with progress_bar(False) as bar:
        train_stage(
            stage_context(spec, stream, learner, 0, encode, torch.device("cpu")), [lamol], bar
        )
        ctx = stage_context(spec, stream, learner, 1, encode, torch.device("cpu"))
        lamol.begin_task(ctx)
    assert lamol.generated_ == 40  # ratio 0.5 x 80 examples, all for task 0
    pseudo = lamol.pseudo_
    assert len(pseudo) >= 10, "a model trained 30 epochs should write parsable examples"
    assert all(ex.task == 0 and ex.label in stream.tasks[0].classes for ex in pseudo)
    assert all(ex.uid >= 1_000_000_000 for ex in pseudo)
    batches = lamol.train_batches(ctx, ctx.batches(list(stream.tasks[1].train)))
    mixed = [e for b in batches for e in b]
    assert len(mixed) == 80 + len(pseudo) and {e.task for e in mixed} == {0, 1}
