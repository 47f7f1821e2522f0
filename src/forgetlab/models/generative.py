"""GenerativeLearner: a causal LM that learns to write free-text responses (chat streams).

The text-to-text learner's training path with another target: `encode` puts the response
tokens after the formatted prompt (`ChatFormat`: the tokenizer's chat template, or the plain
template), `collate` (inherited) marks only those tokens as targets, so the loss is on the
response alone. There are no classes to rank: such streams are scored by generation
(`forgetlab.eval.generation`), and `scores` refuses.

Truncation to `max_length` tokens: the response keeps at most max_length - min(prompt,
max_length // 2) tokens (cut at its end), then the prompt keeps the last tokens that fit
(the instruction's end and the template's assistant header stay).
"""

from __future__ import annotations

import torch
from torch import nn

from forgetlab.errors import ForgetlabError
from forgetlab.models.batch import Batch
from forgetlab.models.chat_format import ChatFormat
from forgetlab.models.learner import Encoded, Learner
from forgetlab.models.text_to_text import TextToTextLearner
from forgetlab.streams.task import NO_LABEL, Example, Stream


class GenerativeLearner(TextToTextLearner):
    mode = "text_to_text"
    generative = True

    def __init__(self, backbone: nn.Module, tokenizer, stream: Stream, max_length: int) -> None:
        Learner.__init__(self, backbone, tokenizer, stream, max_length)
        eos = tokenizer.eos_token_id
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
        if self.pad_id is None:
            raise ForgetlabError(
                f"model tokenizer {type(tokenizer).__name__} has neither a pad nor an EOS token"
            )
        self.format = ChatFormat(tokenizer, stream.info.get("template", "auto"))
        self.label_ids: list[list[int]] = []
        self.max_label = 0

    def split(self, example: Example) -> tuple[list[int], list[int]]:
        """(prompt ids, target ids), truncated to `max_length` together (module docstring)."""
        prompt, target = self.format.encode(example)
        room = self.max_length - min(len(prompt), self.max_length // 2)
        target = target[: max(room, 1)]
        keep = max(self.max_length - len(target), 0)
        return prompt[len(prompt) - keep :] if keep else [], target

    def prompt_ids(self, example: Example) -> list[int]:
        """The prompt a generation starts from (as in training, without the target)."""
        return self.split(example)[0]

    def encode(self, example: Example, context: str = "") -> Encoded:
        if context:
            raise ForgetlabError(
                "a strategy's prompt context (e.g. rag) is not supported on generative (chat) "
                "streams"
            )
        prompt, target = self.split(example)
        return Encoded(tuple(prompt + target), NO_LABEL, example.task, example.uid, len(prompt))

    def scores(self, batch: Batch, candidates: tuple[int, ...]) -> torch.Tensor:
        raise ForgetlabError(
            "a generative (chat) stream has no classes to rank: it is scored by generation"
        )

    def extra_state(self) -> dict:
        return {"mode": self.mode, "generative": True, "template": self.format.kind}
