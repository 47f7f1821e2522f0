"""Build generative streams (free-text targets) from chat records: split, subsample, check.

Shared by the `chat` stream (JSONL files, Hugging Face datasets) and `wordnet-instruct`. A
record is an instruction (the last user message), its response, the conversation before it
and its task. The test split, when the source has none, is chosen by a hash of the seed and
the instruction, so identical instructions always land on the same side.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass

from forgetlab.errors import DataError
from forgetlab.streams.task import GENERATIVE, NO_LABEL, Example, Stream, Task


@dataclass(frozen=True)
class ChatRecord:
    """One instruction and its response as read from a source; `where` locates it."""

    text: str
    target: str
    context: tuple[tuple[str, str], ...] = ()
    task: str | None = None
    where: str = ""


def in_test_split(record: ChatRecord, fraction: float, seed: int) -> bool:
    """A seeded hash of the prompt (context and instruction) picks the test share."""
    key = f"{seed}\x1f{record.context!r}\x1f{record.text}".encode()
    return zlib.crc32(key) % 10_000 < round(fraction * 10_000)


def split_by_hash(
    records: list[ChatRecord], fraction: float, seed: int
) -> tuple[list[ChatRecord], list[ChatRecord]]:
    train = [r for r in records if not in_test_split(r, fraction, seed)]
    test = [r for r in records if in_test_split(r, fraction, seed)]
    return train, test


def _subsample(records: list[ChatRecord], limit: int | None, rng: random.Random) -> list:
    """At most `limit` records, chosen by `rng`, in their input order."""
    if limit is None or len(records) <= limit:
        return records
    keep = set(rng.sample(range(len(records)), limit))
    return [r for i, r in enumerate(records) if i in keep]


def task_order(
    name: str, train: list[ChatRecord], test: list[ChatRecord], order: list[str] | None
) -> list[str]:
    """Task names in order of first appearance (or `order`); every row needs a task, or none."""
    has = [r.task is not None for r in train]
    if any(has) and not all(has):
        bad = next(r for r in train if r.task is None)
        raise DataError(f"missing task value ({bad.where}); give every row a task or none")
    names = list(dict.fromkeys(r.task for r in train)) if all(has) else [name]
    for r in test:
        task = r.task if all(has) else name
        if task not in names:
            at = f" ({r.where})" if r.where else ""
            raise DataError(f"test task {task!r}{at} is not one of the training tasks {names}")
    if order is not None:
        unknown = [t for t in order if t not in names]
        if unknown:
            raise DataError(f"task_order names tasks not in the data: {unknown}; have {names}")
        names = list(order)
    return names


def assemble_generative(
    name: str,
    train: list[ChatRecord],
    test: list[ChatRecord],
    *,
    order: list[str] | None = None,
    n_tasks: int | None = None,
    max_train: int | None = None,
    max_test: int | None = None,
    seed: int = 0,
    info: dict | None = None,
) -> Stream:
    """A generative Stream: tasks from the records' task names, examples with uids."""
    if not train:
        raise DataError(f"stream {name!r}: no training examples")
    names = task_order(name, train, test, order)
    if n_tasks is not None:
        if n_tasks > len(names):
            raise DataError(f"stream {name!r}: n_tasks = {n_tasks} but the data has {len(names)}")
        names = names[:n_tasks]
    rng = random.Random(seed)
    single = all(r.task is None for r in train)
    tasks, uid = [], 0
    for t_index, task in enumerate(names):
        splits = []
        for split, records, limit in (("train", train, max_train), ("test", test, max_test)):
            mine = [r for r in records if (task == name if single else r.task == task)]
            mine = _subsample(mine, limit, rng)
            if not mine:
                raise DataError(f"task {task!r} has no {split} examples (empty task)")
            examples = []
            for r in mine:
                examples.append(
                    Example(r.text, NO_LABEL, t_index, uid, target=r.target, context=r.context)
                )
                uid += 1
            splits.append(tuple(examples))
        tasks.append(Task(name=task, classes=(), train=splits[0], test=splits[1]))
    return Stream(name, GENERATIVE, (), tuple(tasks), prompt="", info=dict(info or {}))
