"""Accuracy of a learner on every task's test split at one stage: one row of R."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from forgetlab.models import Learner
from forgetlab.models.learner import Encoded
from forgetlab.streams.task import Example, Stream
from forgetlab.train.batching import eval_batches


@dataclass(frozen=True)
class TaskScore:
    task: int
    correct: int
    total: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.total


@torch.inference_mode()
def evaluate(
    learner: Learner,
    stream: Stream,
    stage: int,
    encode: Callable[[list[Example]], list[Encoded]],
    batch_size: int,
    on_batch: Callable[[], None] | None = None,
) -> list[TaskScore]:
    """Score every task's test split after `stage` (-1 = before training)."""
    was_training = learner.training
    learner.eval()
    scores = []
    for j, task in enumerate(stream.tasks):
        candidates = stream.candidates(stage, j)
        correct = 0
        for items in eval_batches(encode(list(task.test)), batch_size):
            batch = learner.collate(items).to(learner.device)
            correct += int((learner.predict(batch, candidates) == batch.labels).sum())
            if on_batch is not None:
                on_batch()
        scores.append(TaskScore(j, correct, len(task.test)))
    learner.train(was_training)
    return scores
