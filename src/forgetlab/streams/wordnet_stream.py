"""`wordnet-cil` and `wordnet-til`: the bundled WordNet 3.0 glosses, labelled by category.

Each of the 45 lexicographer categories (noun.animal, verb.motion, ...) is a class. A stream
takes `n_tasks x classes_per_task` categories, chosen and ordered by `seed` among those with
enough glosses (or given explicitly in `classes`), and groups them into tasks. The train/test
split is fixed by a hash of each gloss (one in five to test), so no seed ever moves a test gloss
into training; `seed` only picks classes and subsamples.
"""

from __future__ import annotations

import random
import zlib
from collections import defaultdict
from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from forgetlab.data.wordnet import LEXNAMES, load_wordnet
from forgetlab.errors import DataError
from forgetlab.registry import did_you_mean
from forgetlab.spec.base import SpecModel
from forgetlab.streams.grouping import Record, TaskData, assemble
from forgetlab.streams.registry import stream_kinds
from forgetlab.streams.task import DEFAULT_PROMPT, Stream

TEST_SHARE = 5  # one gloss text in TEST_SHARE (by crc32) is in the test pool


class WordNetStreamSpec(SpecModel):
    kind: Literal["wordnet-cil", "wordnet-til"] = "wordnet-cil"
    n_tasks: PositiveInt = Field(5, description="number of tasks")
    classes_per_task: PositiveInt = Field(3, description="categories per task")
    train_per_class: PositiveInt = Field(200, description="training glosses per category")
    test_per_class: PositiveInt = Field(50, description="test glosses per category")
    seed: int = Field(0, description="picks and orders the categories, subsamples glosses")
    classes: list[list[str]] | None = Field(
        None, description="explicit categories per task, e.g. [['noun.animal', 'noun.plant']]"
    )
    prompt: str = Field(DEFAULT_PROMPT, description="text-to-text prompt; {text} is the gloss")

    @model_validator(mode="after")
    def _known_classes(self) -> WordNetStreamSpec:
        for group in self.classes or []:
            for name in group:
                if name not in LEXNAMES:
                    hint = did_you_mean(name, list(LEXNAMES))
                    raise ValueError(f"unknown WordNet category {name!r};{hint}")
        return self


def in_test_pool(gloss: str) -> bool:
    """Whether a gloss is in the fixed test pool (never trained on, never pretrained on)."""
    return zlib.crc32(gloss.encode()) % TEST_SHARE == 0


def _pools() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    train: dict[str, list[str]] = defaultdict(list)
    test: dict[str, list[str]] = defaultdict(list)
    for g in load_wordnet():
        pool = test if in_test_pool(g.gloss) else train
        pool[g.label].append(g.gloss)
    return train, test


def choose_classes(spec: WordNetStreamSpec) -> list[list[str]]:
    """The categories of each task: explicit, or picked by seed among those with enough data."""
    if spec.classes is not None:
        return [list(g) for g in spec.classes]
    train, test = _pools()
    eligible = [
        c
        for c in LEXNAMES
        if len(train[c]) >= spec.train_per_class and len(test[c]) >= spec.test_per_class
    ]
    need = spec.n_tasks * spec.classes_per_task
    if need > len(eligible):
        raise DataError(
            f"stream needs {need} categories with {spec.train_per_class} train and "
            f"{spec.test_per_class} test glosses each; only {len(eligible)} have that many"
        )
    random.Random(spec.seed).shuffle(eligible)
    k = spec.classes_per_task
    return [eligible[i * k : (i + 1) * k] for i in range(spec.n_tasks)]


@stream_kinds.register("wordnet-cil", help="WordNet glosses by category, class-incremental")
@stream_kinds.register("wordnet-til", help="WordNet glosses by category, task-incremental")
class WordNetStream:
    Spec = WordNetStreamSpec

    @staticmethod
    def build(spec: WordNetStreamSpec) -> Stream:
        train, test = _pools()
        rng = random.Random(spec.seed)
        tasks = []
        for i, labels in enumerate(choose_classes(spec)):
            tr: list[Record] = []
            te: list[Record] = []
            for label in labels:
                n_tr = min(spec.train_per_class, len(train[label]))
                n_te = min(spec.test_per_class, len(test[label]))
                tr += [Record(t, label) for t in rng.sample(train[label], n_tr)]
                te += [Record(t, label) for t in rng.sample(test[label], n_te)]
            rng.shuffle(tr)
            tasks.append(TaskData(f"t{i}:" + "+".join(labels), tuple(labels), tuple(tr), tuple(te)))
        scenario = "class_incremental" if spec.kind == "wordnet-cil" else "task_incremental"
        return assemble(spec.kind, scenario, tasks, spec.prompt)
