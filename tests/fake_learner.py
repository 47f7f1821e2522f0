"""A tiny, fast, fully known learner for unit tests of the loop and the evaluator.

ToyLearner: words hashed to ids, a mean of word embeddings, one linear layer over every class
of the stream (masked to the competing ones). ScriptedLearner: a learner whose scores are a
given function of the example, for evaluation tests with known answers.
"""

from __future__ import annotations

import zlib

import torch
import torch.nn.functional as F
from torch import nn

from forgetlab.models.batch import Batch, ModelOutput, pad
from forgetlab.models.learner import Encoded, Learner


def word_id(word: str, vocab: int) -> int:
    return 1 + zlib.crc32(word.encode()) % (vocab - 1)  # 0 is padding


class _Embed(nn.Module):
    def __init__(self, vocab: int, dim: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim, padding_idx=0)


class ToyLearner(Learner):
    mode = "classifier"

    def __init__(self, stream, vocab: int = 97, dim: int = 8, seed: int = 0) -> None:
        torch.manual_seed(seed)
        super().__init__(_Embed(vocab, dim), None, stream, max_length=32)
        self.vocab = vocab
        self.head = nn.Linear(dim, stream.num_classes)

    def encode(self, example, context: str = "") -> Encoded:
        ids = tuple(word_id(w, self.vocab) for w in example.text.split()[: self.max_length])
        return Encoded(ids or (1,), example.label, example.task, example.uid)

    def collate(self, items: list[Encoded]) -> Batch:
        return Batch(
            input_ids=pad([list(e.ids) for e in items], 0),
            attention_mask=pad([[1] * len(e.ids) for e in items], 0),
            labels=torch.tensor([e.label for e in items]),
            task_ids=torch.tensor([e.task for e in items]),
            uids=torch.tensor([e.uid for e in items]),
        )

    def features(self, batch: Batch) -> torch.Tensor:
        e = self.backbone.embed(batch.input_ids)  # (B, T, H)
        m = batch.attention_mask.unsqueeze(-1).float()
        return (e * m).sum(1) / m.sum(1)

    def active_tasks(self, mask):
        return []

    def forward(self, batch: Batch, mask: torch.Tensor, tasks=None) -> ModelOutput:
        feats = self.features(batch)
        logits = self.head(feats).masked_fill(~mask, float("-inf"))
        return ModelOutput(F.cross_entropy(logits, batch.labels), logits, feats)

    def scores(self, batch: Batch, candidates) -> torch.Tensor:
        return self.head(self.features(batch))[:, list(candidates)]


class ScriptedLearner(ToyLearner):
    """Scores come from `script(uid, candidates) -> list[float]` (one per candidate)."""

    def __init__(self, stream, script, mode: str = "classifier") -> None:
        super().__init__(stream)
        self.script = script
        self.mode = mode

    def scores(self, batch: Batch, candidates) -> torch.Tensor:
        rows = [self.script(int(u), tuple(candidates)) for u in batch.uids.tolist()]
        return torch.tensor(rows, dtype=torch.float32)


def toy_stream(per_label: int = 12, seed: int = 0, scenario: str = "class_incremental"):
    """The conftest keyword stream (2 tasks x 2 labels) built without files."""
    from forgetlab.streams.grouping import Record, group_records
    from forgetlab.streams.task import DEFAULT_PROMPT
    from tests.conftest import toy_rows

    def records(rows):
        return [Record(r["text"], r["label"], r["task"]) for r in rows]

    return group_records(
        "toy",
        scenario,
        records(toy_rows(per_label, seed)),
        records(toy_rows(4, seed + 1)),
        prompt=DEFAULT_PROMPT,
    )


def train_spec(**fields):
    from forgetlab.spec.experiment import TrainSpec

    base = {"epochs": 2, "batch_size": 8, "lr": 0.05, "group_by_length": False}
    return TrainSpec(**{**base, **fields})


def context(learner, stream, train, stage: int = 0, seed: int = 0):
    import torch

    from forgetlab.train.encode import EncodeCache
    from forgetlab.train.stream import stage_context

    return stage_context(
        learner, stream, train, stage, seed, EncodeCache(learner), torch.device("cpu")
    )
