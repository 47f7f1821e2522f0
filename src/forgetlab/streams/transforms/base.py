"""What every data transform shares: the registry, the base classes and small helpers.

A transform is a registered class with a `Spec` (pydantic, `kind` literal) whose `apply`
returns a new Stream; the input stream is never changed. `TrainTransform` covers the common
case of changing each selected task (`tasks`), by default only its training split.

    @transforms.register("few_shot")
    class FewShot(TrainTransform):
        Spec = FewShotSpec
        def train(self, task, rng, uids): ...
"""

from __future__ import annotations

import itertools
import math
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from typing import ClassVar, Literal

from pydantic import Field

from forgetlab.errors import SpecError
from forgetlab.registry import Registry
from forgetlab.spec.base import SpecModel
from forgetlab.streams.task import Example, Stream, Task

transforms: Registry[type] = Registry("transform")


class TransformSpecBase(SpecModel):
    seed: int | None = Field(
        None, description="seed of this transform's random choices (default: the experiment's)"
    )


class TaskTransformSpec(TransformSpecBase):
    tasks: list[int | str] | None = Field(
        None, description="indices or names of the tasks to change (default: every task)"
    )
    budget: Literal["epochs", "steps", "examples"] = Field(
        "epochs",
        description="training length of a changed task: epochs = train.epochs passes over "
        "the new split; steps = as many optimizer steps as before the transform; examples = "
        "the new split cut back to the old size (copies kept together), so more repetition "
        "means fewer unique examples",
    )


STEP_BUDGET = "step_budget"  # stream.info key: task name -> training examples before transforms


def cap_examples(examples: tuple[Example, ...], n: int, rng: random.Random) -> tuple[Example, ...]:
    """At most `n` examples, drawn as whole groups of copies (same text and label) in a
    random group order, kept in their original order."""
    if len(examples) <= n:
        return examples
    groups: dict[tuple[str, int], list[int]] = defaultdict(list)
    for i, ex in enumerate(examples):
        groups[(ex.text, ex.label)].append(i)
    order = list(groups.values())
    rng.shuffle(order)
    keep: set[int] = set()
    for idx in order:
        if len(keep) + len(idx) <= n:
            keep.update(idx)
    return tuple(ex for i, ex in enumerate(examples) if i in keep)


def round_half_up(x: float) -> int:
    """Nearest integer, halves up (Python's round() rounds halves to even)."""
    return math.floor(x + 0.5)


def frequency_bucket(rank: int, n: int) -> str:
    """head | torso | tail for the item at 0-based frequency `rank` among `n` (0 = most frequent).

    With q = rank / (n - 1): head if q < 1/4, tail if q >= 3/4, torso otherwise. So 2 items
    are head, tail; 3 are head, torso, tail; 6 are 2 + 2 + 2; a single item is head.
    """
    if n <= 1 or 4 * rank < n - 1:
        return "head"
    return "tail" if 4 * rank >= 3 * (n - 1) else "torso"


def by_class(examples: tuple[Example, ...]) -> dict[int, list[int]]:
    """Positions of the examples of each label, labels in increasing order."""
    out: dict[int, list[int]] = defaultdict(list)
    for i, ex in enumerate(examples):
        out[ex.label].append(i)
    return dict(sorted(out.items()))


def keep_per_class(
    examples: tuple[Example, ...], counts: dict[int, int], rng: random.Random
) -> tuple[Example, ...]:
    """Keep `counts[label]` examples of each label (all of a label not in `counts`), chosen by
    `rng`, in their original order."""
    keep: set[int] = set()
    for label, idx in by_class(examples).items():
        n = counts.get(label, len(idx))
        keep.update(idx if n >= len(idx) else rng.sample(idx, n))
    return tuple(ex for i, ex in enumerate(examples) if i in keep)


def next_uids(stream: Stream) -> Iterator[int]:
    """Fresh example uids for this stream (larger than any it holds)."""
    top = max((ex.uid for t in stream.tasks for ex in (*t.train, *t.test)), default=-1)
    return itertools.count(top + 1)


class Transform:
    """Base class: stores the spec and where it sits in the spec (`transform.2`) for errors."""

    Spec: ClassVar[type[SpecModel]]

    def __init__(self, spec: SpecModel, where: str = "transform") -> None:
        self.spec = spec
        self.where = where

    def error(self, field: str, message: str) -> SpecError:
        return SpecError(f"{self.where}.{field}: {message}")

    def params(self) -> list[str]:
        """The parameters shown in the label, e.g. ['3'] or ['s=1.5']."""
        return []

    def label(self) -> str:
        """Short description for the stream name, e.g. 'duplicate(3)'."""
        params = self.params()
        tasks = getattr(self.spec, "tasks", None)
        if tasks is not None:
            params.append("tasks=" + ",".join(str(t) for t in tasks))
        budget = getattr(self.spec, "budget", "epochs")
        if budget != "epochs":
            params.append(f"budget={budget}")
        return f"{self.spec.kind}({','.join(params)})" if params else self.spec.kind

    def transform(self, stream: Stream, rng: random.Random) -> Stream:
        raise NotImplementedError

    def apply(self, stream: Stream, rng: random.Random) -> Stream:
        """The transformed stream, named `<name>+<label>`, the label appended to info."""
        out = self.transform(stream, rng)
        info = {**out.info, "transforms": [*stream.info.get("transforms", []), self.label()]}
        return replace(out, name=f"{stream.name}+{self.label()}", info=info)


class TrainTransform(Transform):
    """Changes the training split of each selected task (`tasks`, default all)."""

    def selected(self, stream: Stream) -> set[int]:
        chosen = self.spec.tasks
        if chosen is None:
            return set(range(len(stream.tasks)))
        return {resolve_task(stream, t, self.error, "tasks") for t in chosen}

    def train(self, task: Task, rng: random.Random, uids: Iterator[int]) -> tuple[Example, ...]:
        """The task's new training split; `uids` yields fresh uids for added examples."""
        raise NotImplementedError

    def change(self, task: Task, rng: random.Random, uids: Iterator[int]) -> Task:
        """The changed task (default: only its training split changes)."""
        return replace(task, train=self.train(task, rng, uids))

    def transform(self, stream: Stream, rng: random.Random) -> Stream:
        chosen = self.selected(stream)
        uids = next_uids(stream)
        tasks = tuple(
            self.change(t, rng, uids) if i in chosen else t for i, t in enumerate(stream.tasks)
        )
        budget = self.spec.budget
        if budget == "examples":
            tasks = tuple(
                replace(new, train=cap_examples(new.train, len(old.train), rng))
                if i in chosen
                else new
                for i, (old, new) in enumerate(zip(stream.tasks, tasks))
            )
        out = replace(stream, tasks=tasks)
        if budget == "steps":
            sizes = dict(stream.info.get(STEP_BUDGET, {}))
            for i in sorted(chosen):
                sizes.setdefault(stream.tasks[i].name, len(stream.tasks[i].train))
            out = replace(out, info={**stream.info, STEP_BUDGET: sizes})
        return out


def resolve_task(stream: Stream, ref: int | str, error, field: str) -> int:
    """The index of a task given by index or name; a SpecError naming `field` otherwise."""
    names = stream.task_names
    if isinstance(ref, int):
        if not 0 <= ref < len(names):
            raise error(field, f"task index {ref} out of range (the stream has {len(names)})")
        return ref
    if ref not in names:
        raise error(field, f"no task named {ref!r} (tasks: {', '.join(names)})")
    return names.index(ref)


def copy_example(ex: Example, uid: int, text: str | None = None) -> Example:
    """A copy of a training example with a new uid (and optionally a new text)."""
    return replace(ex, uid=uid, text=ex.text if text is None else text)
