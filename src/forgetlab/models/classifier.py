"""ClassifierLearner: backbone features, pooled, then one linear head block per task."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from forgetlab.models.batch import Batch, ModelOutput, pad
from forgetlab.models.heads import TaskHeads
from forgetlab.models.learner import Encoded, Learner
from forgetlab.streams.task import Example, Stream


def pool(hidden: torch.Tensor, mask: torch.Tensor, how: str) -> torch.Tensor:
    """(B, T, H) hidden states -> (B, H) features: mean over real tokens, first, or last real."""
    if how == "cls":
        return hidden[:, 0]
    if how == "last":
        last = mask.sum(1) - 1  # right padding: the last real token
        return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp_min(1.0)


class ClassifierLearner(Learner):
    mode = "classifier"

    def __init__(
        self,
        backbone: nn.Module,
        tokenizer,
        stream: Stream,
        max_length: int,
        pooling: str,
        head: str = "linear",
    ) -> None:
        super().__init__(backbone, tokenizer, stream, max_length)
        self.pooling = pooling
        hidden = backbone.config.hidden_size
        self.heads = TaskHeads(hidden, [len(t.classes) for t in stream.tasks], head)
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        for p in self.heads.parameters():  # trainable from their task's stage on (the loop)
            p.requires_grad_(False)

    def stage_parameters(self, stage: int) -> dict[str, nn.Parameter]:
        """The method's trainable backbone weights and the heads of tasks 0..stage (a task's
        head trains from its own stage on)."""
        head_ids = {id(p) for p in self.heads.parameters()}
        live = {id(p) for t in range(stage + 1) for p in self.heads.blocks[t].parameters()}
        allowed = self.method_params
        return {
            n: p
            for n, p in self.named_parameters()
            if (id(p) in live) or (id(p) not in head_ids and (allowed is None or id(p) in allowed))
        }

    def encode(self, example: Example, context: str = "") -> Encoded:
        text = context + example.text
        ids = self.tokenizer(text, truncation=True, max_length=self.max_length)["input_ids"]
        return Encoded(tuple(ids), example.label, example.task, example.uid)

    def collate(self, items: list[Encoded]) -> Batch:
        ids = pad([list(e.ids) for e in items], self.pad_id)
        mask = pad([[1] * len(e.ids) for e in items], 0)
        return Batch(
            input_ids=ids,
            attention_mask=mask,
            labels=torch.tensor([e.label for e in items]),
            task_ids=torch.tensor([e.task for e in items]),
            uids=torch.tensor([e.uid for e in items]),
        )

    def features(self, batch: Batch) -> torch.Tensor:
        with self.routed(batch.task_ids):
            out = self.backbone(input_ids=batch.input_ids, attention_mask=batch.mask_for_backbone)
        hidden = out.last_hidden_state[:, -batch.input_ids.shape[1] :]  # drop virtual tokens
        return pool(hidden, batch.attention_mask, self.pooling)  # (B, H)

    def active_tasks(self, mask: torch.Tensor) -> list[int]:
        """Tasks whose head block has a competing class somewhere in the (B, C) mask."""
        return [t for t in range(len(self.stream.tasks)) if bool(mask[..., self._block(t)].any())]

    def forward(
        self, batch: Batch, mask: torch.Tensor, tasks: list[int] | None = None
    ) -> ModelOutput:
        """`tasks` (the head blocks to compute) defaults to those `mask` needs; pass it to
        keep the forward free of data-dependent control flow (torch.func)."""
        feats = self.features(batch)
        tasks = self.active_tasks(mask) if tasks is None else tasks
        logits = self.heads(feats, tasks).masked_fill(~mask, float("-inf"))  # (B, C)
        return ModelOutput(F.cross_entropy(logits, batch.labels), logits, feats)

    def _block(self, t: int) -> slice:
        s = int(self.heads.starts[t])
        return slice(s, s + self.heads.blocks[t].out_features)

    def scores(self, batch: Batch, candidates: tuple[int, ...]) -> torch.Tensor:
        return self.head_scores(self.features(batch), candidates)

    def head_scores(self, feats: torch.Tensor, candidates: tuple[int, ...]) -> torch.Tensor:
        """(B, K) logits of the candidate classes from (B, H) pooled features."""
        tasks = sorted({self._task_of(c) for c in candidates})
        return self.heads(feats, tasks)[:, list(candidates)]  # (B, K)

    def final_scores(self, batch: Batch, candidates: tuple[int, ...]) -> torch.Tensor:
        feats = self.features(batch)  # the readout (e.g. kNN) gets the pooled features too
        return self.read_out(batch, candidates, self.head_scores(feats, candidates), feats)

    def _task_of(self, cls: int) -> int:
        return int((self.heads.starts <= cls).nonzero().max())
