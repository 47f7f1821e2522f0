"""Tokenize each example once per run, by uid (the cache every stage and observer shares).

encode = EncodeCache(learner)
items = encode(task.train)        # list[Encoded], tokenized at the first request only

An example is tokenized again only when the context put before its prompt changes (the
strategies' `prompt_context`, e.g. retrieved examples that depend on the memory so far).
"""

from __future__ import annotations

from forgetlab.models.learner import Encoded, Learner
from forgetlab.streams.task import Example


class EncodeCache:
    """Tokenize each example once per run, by uid."""

    def __init__(self, learner: Learner) -> None:
        self.learner = learner
        self.items: dict[int, Encoded] = {}
        self.context: dict[int, str] = {}  # the context each cached item was tokenized with

    def lookup(self, uids: list[int]) -> list[Encoded]:
        return [self.items[u] for u in uids]

    def __call__(self, examples: list[Example]) -> list[Encoded]:
        out = []
        examples = list(examples)
        for ex, context in zip(examples, self.learner.contexts(examples)):
            enc = self.items.get(ex.uid)
            if enc is None or self.context.get(ex.uid, "") != context:
                enc = self.items[ex.uid] = self.learner.encode(ex, context)
                self.context[ex.uid] = context
            out.append(enc)
        return out
