"""`near_duplicate`: add perturbed copies of training examples (seeded).

    [[transform]]
    kind = "near_duplicate"
    rate = 1.0            # perturbed copies per training example (0.5: half get one)
    word_dropout = 0.1    # each word dropped with this probability (one word always stays)
    char_noise = 0.03     # each letter deleted, doubled, swapped or replaced with this probability
    reorder_clauses = true   # clauses (split at , and ;) shuffled

A task with n training examples gains round(rate * n) copies: sources are drawn in passes over
a shuffled order, so with rate >= 1 every example gets floor(rate) or more. Copies follow
their source, keep its label and group, and get new uids. The noise uses no synonyms.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Iterator
from typing import Literal

from pydantic import Field, model_validator

from forgetlab.streams.task import Example, Task
from forgetlab.streams.transforms.base import (
    TaskTransformSpec,
    TrainTransform,
    copy_example,
    round_half_up,
    transforms,
)

_CLAUSE = re.compile(r"\s*[,;]\s*")


class NearDuplicateSpec(TaskTransformSpec):
    kind: Literal["near_duplicate"] = "near_duplicate"
    rate: float = Field(1.0, gt=0, allow_inf_nan=False, description="copies per example")
    word_dropout: float = Field(0.1, ge=0, lt=1, description="probability of dropping a word")
    char_noise: float = Field(0.03, ge=0, lt=1, description="probability of an edit per letter")
    reorder_clauses: bool = Field(True, description="shuffle clauses split at ',' and ';'")

    @model_validator(mode="after")
    def _some_noise(self) -> NearDuplicateSpec:
        if self.word_dropout == 0 and self.char_noise == 0 and not self.reorder_clauses:
            raise ValueError("no perturbation: set word_dropout, char_noise or reorder_clauses")
        return self


def reorder_clauses(text: str, rng: random.Random) -> str:
    clauses = [c for c in _CLAUSE.split(text) if c]
    if len(clauses) < 2:
        return text
    rng.shuffle(clauses)
    return ", ".join(clauses)


def drop_words(text: str, p: float, rng: random.Random) -> str:
    words = text.split()
    if not words or p == 0:
        return text
    kept = [w for w in words if rng.random() >= p]
    return " ".join(kept or [rng.choice(words)])


def char_noise(text: str, p: float, rng: random.Random) -> str:
    """Each letter, with probability p: deleted, doubled, swapped with the next, or replaced."""
    if p == 0:
        return text
    chars = list(text)
    out: list[str] = []
    i = 0
    while i < len(chars):
        c = chars[i]
        if c.isalpha() and rng.random() < p:
            op = rng.randrange(4)
            if op == 1:
                out += [c, c]
            elif op == 2 and i + 1 < len(chars):
                out += [chars[i + 1], c]
                i += 1
            elif op == 3:
                out.append(rng.choice(string.ascii_lowercase))
            # op 0 (or a swap at the end): deleted
        else:
            out.append(c)
        i += 1
    return "".join(out) or text


def perturb(text: str, spec: NearDuplicateSpec, rng: random.Random) -> str:
    if spec.reorder_clauses:
        text = reorder_clauses(text, rng)
    text = drop_words(text, spec.word_dropout, rng)
    return char_noise(text, spec.char_noise, rng)


@transforms.register("near_duplicate", help="add perturbed copies (word dropout, char noise)")
class NearDuplicate(TrainTransform):
    Spec = NearDuplicateSpec

    def params(self) -> list[str]:
        return [f"{self.spec.rate:g}"]

    def train(self, task: Task, rng: random.Random, uids: Iterator[int]) -> tuple[Example, ...]:
        n = len(task.train)
        n_copies = round_half_up(self.spec.rate * n)
        sources: list[int] = []
        while len(sources) < n_copies:
            sources += rng.sample(range(n), n)
        copies: dict[int, list[Example]] = {}
        for i in sources[:n_copies]:
            ex = task.train[i]
            copies.setdefault(i, []).append(
                copy_example(ex, next(uids), perturb(ex.text, self.spec, rng))
            )
        out: list[Example] = []
        for i, ex in enumerate(task.train):
            out += [ex, *copies.get(i, [])]
        return tuple(out)
