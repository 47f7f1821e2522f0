"""Tokenize each example once per run, by uid (the cache every stage and observer shares).

encode = EncodeCache(learner)
items = encode(task.train)        # list[Encoded], tokenized at the first request only
"""

from __future__ import annotations

from forgetlab.models.learner import Encoded, Learner
from forgetlab.streams.task import Example


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
