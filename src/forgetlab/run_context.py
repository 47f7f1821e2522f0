"""What a run needs around each stage: the device, the per-run tokenization cache, and the
seeded context a stage trains in.

    encode = EncodeCache(learner)
    ctx = stage_context(spec, stream, learner, stage, encode, pick_device("auto"))
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import torch

from forgetlab.models.learner import Encoded, Learner
from forgetlab.strategies import TaskContext
from forgetlab.streams.task import Example
from forgetlab.train.batching import make_batches
from forgetlab.train.loop import stage_rng

if TYPE_CHECKING:
    from forgetlab.spec import ExperimentSpec


def pick_device(choice: str) -> torch.device:
    if choice == "cuda" or (choice == "auto" and torch.cuda.is_available()):
        return torch.device("cuda")
    return torch.device("cpu")


class EncodeCache:
    """Tokenize each example once per run, by uid."""

    def __init__(self, learner: Learner) -> None:
        self.learner = learner
        self.items: dict[int, Encoded] = {}

    def lookup(self, uids: list[int]) -> list[Encoded]:
        return [self.items[u] for u in uids]

    def __call__(self, examples: list[Example]) -> list[Encoded]:
        out = []
        for ex in examples:
            enc = self.items.get(ex.uid)
            if enc is None:
                enc = self.items[ex.uid] = self.learner.encode(ex)
            out.append(enc)
        return out


def stage_context(
    spec: ExperimentSpec, stream, learner: Learner, stage: int, encode, device: torch.device
) -> TaskContext:
    """The context of training stage `stage`: its seeded rng and the spec's batching."""
    batcher = partial(
        make_batches,
        batch_size=spec.train.batch_size,
        group_by_length=spec.train.group_by_length,
        shuffle=not spec.train.online,
    )
    return TaskContext(
        stage=stage,
        stream=stream,
        learner=learner,
        train=spec.train,
        device=device,
        rng=stage_rng(spec.seed, stage),
        encode=encode,
        make_batches=batcher,
    )
