"""The Learner: a backbone plus whatever turns it into class predictions.

Two kinds share one interface, so the trainer, evaluator and strategies never branch on it:

- `ClassifierLearner`: encoder (or any AutoModel) + pooled features + per-task linear heads;
- `TextToTextLearner`: a causal LM that writes the label as words after a prompt and predicts
  the candidate label with the highest log-likelihood.

Tokenization happens once per example (`encode`, cached by the trainer); `collate` pads a
list of encoded examples to the longest one (dynamic padding).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import torch
from torch import nn

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
    generative: bool = False  # free-text targets, scored by generation (GenerativeLearner)

    def __init__(self, backbone: nn.Module, tokenizer, stream: Stream, max_length: int) -> None:
        super().__init__()
        self.backbone = backbone
        self.tokenizer = tokenizer
        self.stream = stream
        self.max_length = max_length
        # The context each forward of a batch runs in, from the strategies' `route` hooks
        # (e.g. a per-task adapter); installed by the run. None: no routing.
        self.router: Callable[[Learner, torch.Tensor], AbstractContextManager | None] | None
        self.router = None
        # The strategies' `readout` hooks composed (e.g. a kNN memory mixed into the model's
        # scores at prediction time) and their `prompt_context` hooks (text put before each
        # prompt, e.g. retrieved examples), installed by the run. None: the model alone.
        self.readout: Callable | None = None
        self.prompt_context: Callable[[list[Example]], list[str]] | None = None
        # ids of the parameters the fine-tuning method lets train (set once the method is
        # applied); None: every parameter.
        self.method_params: frozenset[int] | None = None

    def routed(self, task_ids: torch.Tensor) -> AbstractContextManager:
        """The context in which the backbone computes a batch of these tasks."""
        ctx = self.router(self, task_ids) if self.router is not None else None
        return ctx if ctx is not None else nullcontext()

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def encode(self, example: Example, context: str = "") -> Encoded:
        """Tokenize `example`; `context` (e.g. retrieved examples) goes before its prompt."""
        raise NotImplementedError

    def contexts(self, examples: list[Example]) -> list[str]:
        """The context each example is tokenized with (empty without `prompt_context`)."""
        if self.prompt_context is None:
            return [""] * len(examples)
        return self.prompt_context(examples)

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

    def read_out(
        self,
        batch: Batch,
        candidates: tuple[int, ...],
        scores: torch.Tensor,
        features: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The model's (B, K) `scores` after the installed `readout` (unchanged without)."""
        if self.readout is None:
            return scores
        return self.readout(self, batch, candidates, scores, features)

    def final_scores(self, batch: Batch, candidates: tuple[int, ...]) -> torch.Tensor:
        """(B, K) scores a prediction takes its argmax from: the model's, read out."""
        return self.read_out(batch, candidates, self.scores(batch, candidates))

    @torch.inference_mode()
    def predict(self, batch: Batch, candidates: tuple[int, ...]) -> torch.Tensor:
        """(B,) predicted global class ids among `candidates`."""
        best = self.final_scores(batch, candidates).argmax(dim=1)
        return torch.tensor(candidates, device=best.device)[best]

    def trainable_parameters(self) -> list[nn.Parameter]:
        return [p for p in self.parameters() if p.requires_grad]

    def stage_parameters(self, stage: int) -> dict[str, nn.Parameter]:
        """The parameters that may train at `stage`: those the method lets train (strategies
        then narrow or widen the set through their `trainable` hook)."""
        allowed = self.method_params
        return {n: p for n, p in self.named_parameters() if allowed is None or id(p) in allowed}

    def set_trainable(self, params: dict[str, nn.Parameter]) -> None:
        """requires_grad on exactly `params` (what the loop trains this stage)."""
        keep = {id(p) for p in params.values()}
        for p in self.parameters():
            p.requires_grad_(id(p) in keep)

    def extra_state(self) -> dict:
        """JSON-able state needed to rebuild the learner next to its weights."""
        return {"mode": self.mode}
