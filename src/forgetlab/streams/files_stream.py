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
from typing import ClassVar, Literal

from pydantic import Field

from forgetlab.errors import DataError
from forgetlab.streams.grouping import GroupingSpec, Record, group_by_spec, split_train_test
from forgetlab.streams.registry import stream_kinds
from forgetlab.streams.task import Stream


class FilesStreamSpec(GroupingSpec):
    path_fields: ClassVar[tuple[str, ...]] = ("train", "test")

    kind: Literal["files"] = "files"
    train: Path = Field(description="JSONL or CSV file of training examples")
    test: Path | None = Field(None, description="JSONL or CSV test file (default: split train)")


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
        return group_by_spec(spec.train.stem, spec, train, test)
