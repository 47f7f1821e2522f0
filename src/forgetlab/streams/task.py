"""Tasks and streams: the data every other part of forgetlab consumes.

A *stream* is an ordered tuple of *tasks*; training on one task is a *stage*. Classes have
global ids across the stream (task 0's classes first), so a classifier has one output per
class and a scenario decides which outputs compete:

- class_incremental: all classes seen so far compete, no task id at test time;
- task_incremental: only the example's own task's classes compete (one head per task);
- generative: no classes at all; every example has a free-text `target` (an instruction's
  response) that a causal LM writes, scored by generation (exact match, token F1, ROUGE-L).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

import torch

Scenario = Literal["class_incremental", "task_incremental"]
SCENARIOS: tuple[str, ...] = ("class_incremental", "task_incremental")
GENERATIVE = "generative"  # the scenario of streams whose targets are free text (no classes)
NO_LABEL = -1  # the label of an example of a generative stream


@dataclass(frozen=True)
class Example:
    """One labelled text. `label` is a global class id, `uid` is unique in the stream.

    `group` optionally tags a test example (e.g. "tail" for a rare class, "overwritten" for
    a fact a later task rewrote); accuracy is then also reported per group.

    Generative streams (chat, instructions) have no classes: `label` is NO_LABEL, `text` is
    the last user message, `target` the response to write, and `context` the conversation
    before it as (role, content) pairs (a system message, earlier turns).
    """

    text: str
    label: int
    task: int
    uid: int
    group: str = ""
    target: str | None = None
    context: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Task:
    """A named task: its global class ids and its train and test examples."""

    name: str
    classes: tuple[int, ...]
    train: tuple[Example, ...]
    test: tuple[Example, ...]
    version: int = 1
    prompt: str | None = None  # this task's text-to-text template; None: the stream's

    def data_hash(self) -> str:
        """sha256 over the task's classes and examples (recorded in results)."""
        h = hashlib.sha256(repr(self.classes).encode())
        for split in (self.train, self.test):
            for ex in split:
                h.update(f"{ex.label}\t{ex.text}\n".encode())
                if ex.target is not None:  # generative examples: the response and context too
                    h.update(f"{ex.context!r}\t{ex.target}\n".encode())
        return h.hexdigest()[:16]


DEFAULT_PROMPT = "{text}\nCategory:"  # text-to-text: the input, then the label as words


@dataclass(frozen=True)
class Stream:
    """An ordered sequence of tasks plus the scenario that defines what competes."""

    name: str
    scenario: Scenario | Literal["generative"]
    class_names: tuple[str, ...]
    tasks: tuple[Task, ...]
    prompt: str = DEFAULT_PROMPT
    info: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def task_names(self) -> list[str]:
        return [t.name for t in self.tasks]

    @property
    def generative(self) -> bool:
        """Free-text targets, scored by generation (no classes compete)."""
        return self.scenario == GENERATIVE

    def candidates(self, stage: int, task: int) -> tuple[int, ...]:
        """Class ids that compete for an example of `task` after training stage `stage`.

        `stage = -1` is the model before any training. In class-incremental streams a task
        not yet trained (task > stage) competes over the classes of tasks 0..task: its own
        and those of every task before it, including tasks stage+1..task-1 not trained yet.
        """
        if self.scenario == "task_incremental":
            return self.tasks[task].classes
        seen = [c for t in self.tasks[: max(stage, task) + 1] for c in t.classes]
        return tuple(seen)

    def candidate_table(self, stage: int) -> torch.Tensor:
        """Boolean (tasks, num_classes): row t marks the classes competing for task t's
        examples after `stage` (index it by a batch's task ids for the batch's mask)."""
        table = torch.zeros(len(self.tasks), self.num_classes, dtype=torch.bool)
        for t in range(len(self.tasks)):
            table[t, list(self.candidates(stage, t))] = True
        return table

    def candidate_mask(self, stage: int, task_ids: torch.Tensor) -> torch.Tensor:
        """Boolean (B, num_classes) mask of the competing classes for each example."""
        return self.candidate_table(stage)[task_ids.cpu()].to(task_ids.device)

    def verbalize(self, label: int) -> str:
        """The label as words, for text-to-text models ("noun.animal" -> "noun animal")."""
        return self.class_names[label].replace(".", " ").replace("_", " ")

    def format_prompt(self, text: str, task: int | None = None) -> str:
        """`text` in the prompt template of `task` (its own, if it has one) or the stream's."""
        own = self.tasks[task].prompt if task is not None else None
        return (own if own is not None else self.prompt).format(text=text)
