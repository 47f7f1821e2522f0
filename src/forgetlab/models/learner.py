"""The Learner: a backbone plus whatever turns it into class predictions.

Two kinds share one interface, so the trainer, evaluator and strategies never branch on it:

- `ClassifierLearner`: encoder (or any AutoModel) + pooled features + per-task linear heads;
- `TextToTextLearner`: a causal LM that writes the label as words after a prompt and predicts
  the candidate label with the highest log-likelihood.

Tokenization happens once per example (`encode`, cached by the trainer); `collate` pads a
list of encoded examples to the longest one (dynamic padding).
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import torch
from torch import nn

from forgetlab.errors import ForgetlabError
from forgetlab.models.batch import Batch, ModelOutput
from forgetlab.streams.task import Example, Stream


@dataclass(frozen=True)
class Encoded:
    """A tokenized example: ids (prompt + label for text-to-text) and its metadata."""

    ids: tuple[int, ...]
    label: int
    task: int
    uid: int
    target_start: int = -1  # text-to-text: index of the first label token in `ids`


class Learner(nn.Module):
    """Base class. Subclasses implement encode, collate, forward and scores."""

    mode: str = ""

    def __init__(self, backbone: nn.Module, tokenizer, stream: Stream, max_length: int) -> None:
        super().__init__()
        self.backbone = backbone
        self.tokenizer = tokenizer
        self.stream = stream
        self.max_length = max_length
        self.branches: dict[int, str] = {}  # task -> peft adapter name (the `branch` strategy)

    def routed(self, task_ids: torch.Tensor):
        """Context in which the backbone uses the branch (peft adapter) of the batch's task,
        or the bare backbone for a task without one. A no-op without branches."""
        if not self.branches:
            return nullcontext()
        return self._route(task_ids)

    @contextmanager
    def _route(self, task_ids: torch.Tensor):
        tasks = set(task_ids.tolist())
        if len(tasks) != 1:
            raise ForgetlabError("strategy 'branch': a batch mixes tasks; branches need one task")
        name = self.branches.get(tasks.pop())
        if name is None:
            with self.backbone.disable_adapter():
                yield
            return
        flags = [(p, p.requires_grad) for p in self.backbone.parameters()]
        active = self.backbone.active_adapter
        self.backbone.set_adapter(name, inference_mode=name != active)
        try:
            yield
        finally:
            self.backbone.set_adapter(active)
            for p, flag in flags:
                p.requires_grad_(flag)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def encode(self, example: Example) -> Encoded:
        raise NotImplementedError

    def collate(self, items: list[Encoded]) -> Batch:
        raise NotImplementedError

    def forward(
        self, batch: Batch, mask: torch.Tensor, tasks: list[int] | None = None
    ) -> ModelOutput:
        """Task loss on `batch`; `mask` (B, C) marks the classes that compete per example.
        `tasks` (classifiers: head blocks to compute) is derived from `mask` when None."""
        raise NotImplementedError

    def active_tasks(self, mask: torch.Tensor) -> list[int]:
        """The `tasks` argument of forward for this mask (computed outside torch.func)."""
        raise NotImplementedError

    def scores(self, batch: Batch, candidates: tuple[int, ...]) -> torch.Tensor:
        """(B, len(candidates)) scores; the prediction is the candidate with the highest."""
        raise NotImplementedError

    @torch.inference_mode()
    def predict(self, batch: Batch, candidates: tuple[int, ...]) -> torch.Tensor:
        """(B,) predicted global class ids among `candidates`."""
        best = self.scores(batch, candidates).argmax(dim=1)
        return torch.tensor(candidates, device=best.device)[best]

    def trainable_parameters(self) -> list[nn.Parameter]:
        return [p for p in self.parameters() if p.requires_grad]

    def begin_stage(self, stage: int) -> None:
        """Called before training stage `stage` (e.g. to make that task's head trainable)."""

    def extra_state(self) -> dict:
        """JSON-able state needed to rebuild the learner next to its weights."""
        return {"mode": self.mode}
