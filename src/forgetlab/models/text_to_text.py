"""TextToTextLearner: a causal LM writes the label as words after the prompt.

Training minimises the label tokens' negative log-likelihood (prompt tokens are context
only). Prediction scores every competing candidate label by its tokens' log-probabilities
after the prompt and takes the best; `label_score` says how they combine
(`forgetlab.models.label_score`): "mean" (default, length-robust), "sum" (the label's
log-likelihood; favours labels of fewer tokens) or "first_token".
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from forgetlab.models.batch import Batch, ModelOutput, pad
from forgetlab.models.label_score import combine_label_logprobs
from forgetlab.models.learner import Encoded, Learner
from forgetlab.streams.task import Example, Stream


class TextToTextLearner(Learner):
    mode = "text_to_text"

    def __init__(
        self,
        backbone: nn.Module,
        tokenizer,
        stream: Stream,
        max_length: int,
        label_score: str = "mean",
    ) -> None:
        super().__init__(backbone, tokenizer, stream, max_length)
        self.label_score = label_score  # how candidate labels are ranked (module docstring)
        eos = tokenizer.eos_token_id
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
        # Label words as token ids, each ending with EOS so that "noun" cannot win by being a
        # prefix of "noun animal".
        self.label_ids: list[list[int]] = [
            tokenizer(" " + stream.verbalize(c), add_special_tokens=False)["input_ids"]
            + ([eos] if eos is not None else [])
            for c in range(stream.num_classes)
        ]
        self.max_label = max(len(ids) for ids in self.label_ids)

    def _prompt_ids(self, example: Example, context: str = "") -> list[int]:
        text = context + self.stream.format_prompt(example.text, example.task)
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        keep = self.max_length - self.max_label
        return ids[-keep:]  # cut from the left: keep the end of the prompt ("...Category:")

    def encode(self, example: Example, context: str = "") -> Encoded:
        prompt = self._prompt_ids(example, context)
        ids = prompt + self.label_ids[example.label]
        return Encoded(tuple(ids), example.label, example.task, example.uid, len(prompt))

    def collate(self, items: list[Encoded]) -> Batch:
        ids = pad([list(e.ids) for e in items], self.pad_id)
        targets = torch.full_like(ids, -100)
        for i, e in enumerate(items):
            targets[i, e.target_start : len(e.ids)] = ids[i, e.target_start : len(e.ids)]
        return Batch(
            input_ids=ids,
            attention_mask=pad([[1] * len(e.ids) for e in items], 0),
            labels=torch.tensor([e.label for e in items]),
            task_ids=torch.tensor([e.task for e in items]),
            uids=torch.tensor([e.uid for e in items]),
            target_ids=targets,
        )

    def logits(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """(B, T, V) next-token logits for the real positions (virtual prompt tokens dropped)."""
        out = self.backbone(input_ids=input_ids, attention_mask=attention_mask).logits
        return out[:, -input_ids.shape[1] :]

    def token_logprobs(self, input_ids, attention_mask, target_ids) -> torch.Tensor:
        """(B,) summed log-probabilities of the target tokens (-100 = not a target)."""
        logits = self.logits(input_ids, attention_mask)
        logits, targets = logits[:, :-1], target_ids[:, 1:]  # position t predicts token t+1
        keep = targets != -100
        logp = torch.log_softmax(logits.float(), dim=-1)  # (B, T-1, V)
        picked = logp.gather(-1, targets.clamp_min(0).unsqueeze(-1)).squeeze(-1)
        return (picked * keep).sum(1)

    def target_logprobs(
        self, input_ids, attention_mask, target_ids
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T-1) log-probability of each next token and the (B, T-1) mask of targets."""
        logits = self.logits(input_ids, attention_mask)
        logits, targets = logits[:, :-1], target_ids[:, 1:]
        keep = targets != -100
        logp = torch.log_softmax(logits.float(), dim=-1)
        picked = logp.gather(-1, targets.clamp_min(0).unsqueeze(-1)).squeeze(-1)
        return picked, keep

    def active_tasks(self, mask: torch.Tensor) -> list[int]:
        return []

    def forward(
        self, batch: Batch, mask: torch.Tensor, tasks: list[int] | None = None
    ) -> ModelOutput:
        with self.routed(batch.task_ids):
            logits = self.logits(batch.input_ids, batch.mask_for_backbone)
        loss = F.cross_entropy(
            logits[:, :-1].reshape(-1, logits.shape[-1]).float(),
            batch.target_ids[:, 1:].reshape(-1),
            ignore_index=-100,
        )
        return ModelOutput(loss, token_logits=logits)

    def _candidate_logprobs(
        self, batch: Batch, candidates: tuple[int, ...]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-token log-probabilities (B*K, T) of each candidate label after each prompt."""
        rows, targets = [], []
        starts = (batch.target_ids != -100).int().argmax(1).tolist()  # prompt length per row
        for i, start in enumerate(starts):
            prompt = batch.input_ids[i, :start].tolist()
            for c in candidates:
                rows.append(prompt + self.label_ids[c])
                targets.append([-100] * start + self.label_ids[c])
        ids = pad(rows, self.pad_id).to(batch.input_ids.device)
        attn = pad([[1] * len(r) for r in rows], 0).to(ids.device)
        tgt = pad(targets, -100).to(ids.device)
        with self.routed(batch.task_ids):
            return self.target_logprobs(ids, attn, tgt)

    def label_logprobs(self, batch: Batch, candidates: tuple[int, ...]) -> torch.Tensor:
        """(B, K) log-likelihood of each candidate label (its tokens' log-probabilities
        summed), whatever `label_score` ranks by."""
        return self.label_tables(batch, candidates)[0]

    def label_tables(
        self, batch: Batch, candidates: tuple[int, ...]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """((B, K) summed log-likelihoods, (B, K) ranking scores by `label_score`) from one
        forward."""
        picked, keep = self._candidate_logprobs(batch, candidates)
        shape = (batch.input_ids.shape[0], len(candidates))
        summed = combine_label_logprobs(picked, keep, "sum").view(shape)
        if self.label_score == "sum":
            return summed, summed
        return summed, combine_label_logprobs(picked, keep, self.label_score).view(shape)

    def scores(self, batch: Batch, candidates: tuple[int, ...]) -> torch.Tensor:
        """(B, K) score of each candidate label after each prompt, by `label_score`."""
        return self.label_tables(batch, candidates)[1]
