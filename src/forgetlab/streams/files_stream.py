"""`files`: the user's own tasks from JSONL or CSV files with `text`, `label` (and `task`) columns.

[stream]
kind = "files"
train = "data/train.jsonl"     # .jsonl or .csv
test = "data/test.jsonl"       # optional: else `test_fraction` of each label, by `seed`
scenario = "class_incremental"
classes_per_task = 2           # when the files have no task column
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Literal

from pydantic import Field, PositiveInt

from forgetlab.errors import DataError
from forgetlab.spec.base import SpecModel
from forgetlab.streams.grouping import Record, group_records, split_train_test
from forgetlab.streams.registry import stream_kinds
from forgetlab.streams.task import Scenario, Stream

DEFAULT_PROMPT = "{text}\nCategory:"


class FilesStreamSpec(SpecModel):
    kind: Literal["files"] = "files"
    train: Path = Field(description="JSONL or CSV file of training examples")
    test: Path | None = Field(None, description="JSONL or CSV test file (default: split train)")
    test_fraction: float = Field(0.2, gt=0, lt=1, description="test share when no test file")
    scenario: Scenario = "class_incremental"
    text_column: str = "text"
    label_column: str = "label"
    task_column: str = Field("task", description="optional column naming each row's task")
    classes_per_task: PositiveInt | None = Field(
        None, description="labels per task when the files have no task column (default: one task)"
    )
    n_tasks: PositiveInt | None = Field(None, description="keep only the first n tasks")
    task_order: list[str] | None = Field(None, description="explicit order of task names")
    labels: list[str] | None = Field(None, description="the label set; other labels are errors")
    shuffle_classes: bool = Field(False, description="permute labels by seed before grouping")
    max_train_per_class: PositiveInt | None = None
    max_test_per_class: PositiveInt | None = None
    seed: int = Field(0, description="seed for the split, class order and subsampling")
    prompt: str = Field(DEFAULT_PROMPT, description="text-to-text prompt; {text} is the input")


def read_records(path: Path, text_col: str, label_col: str, task_col: str) -> list[Record]:
    """Read a .jsonl or .csv file into records, with errors that name the file and line."""
    if not path.is_file():
        raise DataError(f"data file {str(path)!r} does not exist")
    try:
        raw = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError(f"data file {str(path)!r} is not UTF-8 text (byte {e.start})") from None
    except OSError as e:
        raise DataError(f"data file {str(path)!r} cannot be read: {e.strerror}") from None
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        rows = []
        for n, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise DataError(f"{path}:{n}: invalid JSON ({e.msg})") from None
            if not isinstance(row, dict):
                raise DataError(f"{path}:{n}: each line must be a JSON object")
            rows.append((n, row))
    elif suffix == ".csv":
        reader = csv.DictReader(raw.splitlines())
        header = reader.fieldnames or []
        missing = [c for c in (text_col, label_col) if c not in header]
        if header and missing:
            raise DataError(
                f"data file {str(path)!r}: the first line must be a header naming the columns "
                f"{text_col!r} and {label_col!r}; it is {header} (no {missing[0]!r})"
            )
        rows = [(n, row) for n, row in enumerate(reader, 2)]
    else:
        raise DataError(
            f"data file {str(path)!r}: unsupported type {suffix!r} (use .jsonl or .csv)"
        )
    if not rows:
        raise DataError(f"data file {str(path)!r} has no rows")
    records = []
    for n, row in rows:
        for col in (text_col, label_col):
            if row.get(col) in (None, ""):
                raise DataError(f"{path}:{n}: missing column {col!r} (have {sorted(row)})")
        task = row.get(task_col)
        records.append(
            Record(
                str(row[text_col]),
                str(row[label_col]),
                None if task in (None, "") else str(task),
                where=f"{path}:{n}",
            )
        )
    return records


@stream_kinds.register("files", help="your own tasks from JSONL/CSV files (text, label, task)")
class FilesStream:
    Spec = FilesStreamSpec

    @staticmethod
    def build(spec: FilesStreamSpec) -> Stream:
        cols = (spec.text_column, spec.label_column, spec.task_column)
        train = read_records(spec.train, *cols)
        if spec.test is not None:
            test = read_records(spec.test, *cols)
        else:
            train, test = split_train_test(train, spec.test_fraction, spec.seed)
        return group_records(
            spec.train.stem,
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
