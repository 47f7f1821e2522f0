"""Turn labelled records into a Stream: group classes into tasks, split, subsample, check.

Shared by every source (files, Hugging Face datasets, WordNet), so the rules are the same:
tasks come from a task column (in order of first appearance, or `task_order`) or from
consecutive groups of `classes_per_task` labels; in class-incremental streams label sets of
different tasks must be disjoint; every task needs train and test examples.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import ClassVar

from pydantic import Field, PositiveInt

from forgetlab.errors import DataError
from forgetlab.spec.base import SpecModel
from forgetlab.streams.task import DEFAULT_PROMPT, Example, Scenario, Stream, Task


class GroupingSpec(SpecModel):
    """Fields shared by the streams built from labelled records (`files`, `hf`): which
    columns hold what, how labels group into tasks, how much data to keep, the prompt."""

    path_fields: ClassVar[tuple[str, ...]] = ()  # fields holding paths, relative to the spec

    scenario: Scenario = Field(
        "class_incremental", description="all labels compete, or only the task's (task id given)"
    )
    text_column: str = Field("text", description="column holding the input text")
    label_column: str = Field("label", description="column holding the label")
    task_column: str = Field("task", description="optional column naming each row's task")
    classes_per_task: PositiveInt | None = Field(
        None, description="labels per task when the data has no task column (default: one task)"
    )
    n_tasks: PositiveInt | None = Field(None, description="keep only the first n tasks")
    task_order: list[str] | None = Field(
        None, description="explicit order of task names (default: order of first appearance)"
    )
    labels: list[str] | None = Field(None, description="the label set; other labels are errors")
    shuffle_classes: bool = Field(False, description="permute labels by seed before grouping")
    test_fraction: float = Field(0.2, gt=0, lt=1, description="test share when no test split")
    max_train_per_class: PositiveInt | None = Field(None, description="cap training rows per label")
    max_test_per_class: PositiveInt | None = Field(None, description="cap test rows per label")
    seed: int = Field(0, description="seed for the split, class order and subsampling")
    prompt: str = Field(DEFAULT_PROMPT, description="text-to-text prompt; {text} is the input")


@dataclass(frozen=True)
class Record:
    """One labelled text as read from a source; `where` locates it for error messages."""

    text: str
    label: str
    task: str | None = None
    where: str = ""


@dataclass(frozen=True)
class TaskData:
    """A task before global class ids are assigned."""

    name: str
    labels: tuple[str, ...]
    train: tuple[Record, ...]
    test: tuple[Record, ...]


def assemble(name: str, scenario: Scenario, tasks: list[TaskData], prompt: str) -> Stream:
    """Assign global class ids (task 0's classes first) and example uids; check the tasks."""
    if not tasks:
        raise DataError(f"stream {name!r} has no tasks")
    seen_names = [t.name for t in tasks]
    dupes = {n for n in seen_names if seen_names.count(n) > 1}
    if dupes:
        raise DataError(f"stream {name!r}: duplicate task names {sorted(dupes)}")
    class_names: list[str] = []
    owner: dict[str, str] = {}
    built: list[Task] = []
    uid = 0
    for t_index, t in enumerate(tasks):
        if not t.train or not t.test:
            split = "train" if not t.train else "test"
            raise DataError(f"task {t.name!r} has no {split} examples (empty task)")
        ids: dict[str, int] = {}
        for label in t.labels:
            if scenario == "class_incremental" and label in owner:
                raise DataError(
                    f"label {label!r} appears in tasks {owner[label]!r} and {t.name!r}; "
                    "class-incremental streams need disjoint label sets "
                    "(use scenario = 'task_incremental')"
                )
            owner[label] = t.name
            ids[label] = len(class_names)
            class_names.append(label)
        splits = []
        for split_name, records in (("train", t.train), ("test", t.test)):
            examples = []
            for r in records:
                if r.label not in ids:
                    at = f" ({r.where})" if r.where else ""
                    raise DataError(
                        f"label {r.label!r}{at} in the {split_name} split of task {t.name!r} "
                        f"is not in the task's label set {list(t.labels)}"
                    )
                examples.append(Example(text=r.text, label=ids[r.label], task=t_index, uid=uid))
                uid += 1
            splits.append(tuple(examples))
        classes = tuple(ids[label] for label in t.labels)
        built.append(Task(name=t.name, classes=classes, train=splits[0], test=splits[1]))
    return Stream(name, scenario, tuple(class_names), tuple(built), prompt)


def subsample_per_class(
    records: list[Record], limit: int | None, rng: random.Random
) -> list[Record]:
    """Keep at most `limit` records per label, chosen by `rng`, preserving the input order."""
    if limit is None:
        return records
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        by_label[r.label].append(i)
    keep: set[int] = set()
    for label in sorted(by_label):
        idx = by_label[label]
        keep.update(rng.sample(idx, min(limit, len(idx))))
    return [r for i, r in enumerate(records) if i in keep]


def group_records(
    name: str,
    scenario: Scenario,
    train: list[Record],
    test: list[Record],
    *,
    prompt: str,
    classes_per_task: int | None = None,
    n_tasks: int | None = None,
    task_order: list[str] | None = None,
    labels: list[str] | None = None,
    seed: int = 0,
    shuffle_classes: bool = False,
    max_train_per_class: int | None = None,
    max_test_per_class: int | None = None,
) -> Stream:
    """Group records into tasks (by their task column or by label groups) and assemble."""
    if not train:
        raise DataError(f"stream {name!r}: no training examples")
    if labels is not None:
        allowed = set(labels)
        for r in (*train, *test):
            if r.label not in allowed:
                at = f" ({r.where})" if r.where else ""
                raise DataError(f"label {r.label!r}{at} is not in the label set {labels}")
    rng = random.Random(seed)
    has_task = [r.task is not None for r in train]
    if any(has_task) and not all(has_task):
        bad = next(r for r in train if r.task is None)
        raise DataError(f"missing task value ({bad.where}); give every row a task or none")
    if all(has_task):
        train_tasks = {r.task for r in train}
        for r in test:  # else a test row without a task, or with a misspelt one, is dropped
            if r.task not in train_tasks:
                at = f" ({r.where})" if r.where else ""
                what = "missing task value" if r.task is None else f"test task {r.task!r}"
                raise DataError(f"{what}{at}: not one of the training tasks {sorted(train_tasks)}")
        order = list(dict.fromkeys(r.task for r in train))
        if task_order is not None:
            unknown = [t for t in task_order if t not in order]
            if unknown:
                raise DataError(f"task_order names tasks not in the data: {unknown}; have {order}")
            order = list(task_order)
        groups = [(t, list(dict.fromkeys(r.label for r in train if r.task == t))) for t in order]
    else:
        all_labels = list(labels) if labels is not None else sorted({r.label for r in train})
        if shuffle_classes:
            rng.shuffle(all_labels)
        size = classes_per_task or len(all_labels)
        groups = [
            (f"task{i // size}", all_labels[i : i + size]) for i in range(0, len(all_labels), size)
        ]
    if n_tasks is not None:
        if n_tasks > len(groups):
            raise DataError(f"stream {name!r}: n_tasks = {n_tasks} but the data has {len(groups)}")
        groups = groups[:n_tasks]
    tasks = []
    for task_name, task_labels in groups:
        label_set = set(task_labels)

        def pick(records: list[Record], tn=task_name, ls=label_set) -> list[Record]:
            if all(has_task):
                return [r for r in records if r.task == tn]
            return [r for r in records if r.label in ls]

        tr = subsample_per_class(pick(train), max_train_per_class, rng)
        te = subsample_per_class(pick(test), max_test_per_class, rng)
        tasks.append(TaskData(task_name, tuple(task_labels), tuple(tr), tuple(te)))
    return assemble(name, scenario, tasks, prompt)


def split_train_test(
    records: list[Record], test_fraction: float, seed: int
) -> tuple[list[Record], list[Record]]:
    """Deterministic stratified split: about `test_fraction` of each (task, label) stratum
    goes to test, drawn as whole groups of identical texts, so a text never lands on both
    sides (a group spanning strata counts in the stratum of its first record). Each stratum
    with more than one group keeps at least one on each side."""
    rng = random.Random(seed)
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(records):
        groups.setdefault(r.text.strip(), []).append(i)
    by_stratum: dict[tuple[str, str], list[list[int]]] = defaultdict(list)
    for idx in groups.values():
        first = records[idx[0]]
        by_stratum[(first.task or "", first.label)].append(idx)
    test_idx: set[int] = set()
    for stratum in sorted(by_stratum):
        members = by_stratum[stratum]
        n = sum(len(g) for g in members)
        target = round(n * test_fraction)
        if len(members) > 1:
            target = min(max(target, 1), n - 1)
        order = list(range(len(members)))
        rng.shuffle(order)
        chosen: list[int] = []
        count = 0
        for k in order:
            if count + len(members[k]) <= target:
                chosen.append(k)
                count += len(members[k])
        if not chosen and target >= 1 and len(members) > 1:
            chosen = [min(order, key=lambda k: len(members[k]))]  # the smallest group
        for k in chosen:
            test_idx.update(members[k])
    train = [r for i, r in enumerate(records) if i not in test_idx]
    test = [r for i, r in enumerate(records) if i in test_idx]
    return train, test


def duplicate_counts(train: list[Record], test: list[Record]) -> dict[str, int]:
    """How many records repeat an earlier record's text (train and test together), and how
    many test records have a text that is also in train (a leak)."""
    seen: set[str] = set()
    repeated = 0
    for r in (*train, *test):
        key = r.text.strip()
        repeated += key in seen
        seen.add(key)
    train_texts = {r.text.strip() for r in train}
    return {
        "repeated_texts": repeated,
        "test_texts_in_train": sum(r.text.strip() in train_texts for r in test),
    }


def group_by_spec(name: str, spec: GroupingSpec, train: list[Record], test: list[Record]) -> Stream:
    """`group_records` with the grouping fields of a `files` or `hf` stream spec; the
    stream's info records the duplicate texts found (`duplicate_counts`)."""
    stream = group_records(
        name,
        spec.scenario,
        train,
        test,
        prompt=spec.prompt,
        classes_per_task=spec.classes_per_task,
        n_tasks=spec.n_tasks,
        task_order=spec.task_order,
        labels=spec.labels,
        seed=spec.seed,
        shuffle_classes=spec.shuffle_classes,
        max_train_per_class=spec.max_train_per_class,
        max_test_per_class=spec.max_test_per_class,
    )
    return replace(stream, info={**stream.info, "duplicates": duplicate_counts(train, test)})
