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
import io
import json
import logging
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from forgetlab.errors import DataError
from forgetlab.fileio import DATA_LIMIT, read_input_file
from forgetlab.streams.grouping import GroupingSpec, Record, group_by_spec, split_train_test
from forgetlab.streams.registry import stream_kinds
from forgetlab.streams.task import Stream

logger = logging.getLogger(__name__)


class FilesStreamSpec(GroupingSpec):
    path_fields: ClassVar[tuple[str, ...]] = ("train", "test")

    kind: Literal["files"] = "files"
    train: Path = Field(description="JSONL or CSV file of training examples")
    test: Path | None = Field(None, description="JSONL or CSV test file (default: split train)")


def _jsonl_rows(path: Path, raw: str) -> list[tuple[int, dict]]:
    """(line number, object) per non-blank line. Lines end at \\n only: U+2028, U+0085 and
    other Unicode line breaks are valid inside JSON strings (str.splitlines would cut there)."""
    rows = []
    for n, line in enumerate(raw.split("\n"), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataError(f"{path}:{n}: invalid JSON ({e.msg})") from None
        except RecursionError:
            raise DataError(f"{path}:{n}: JSON nested too deeply") from None
        if not isinstance(row, dict):
            raise DataError(f"{path}:{n}: each line must be a JSON object")
        rows.append((n, row))
    return rows


def _csv_rows(path: Path, raw: str, required: tuple[str, ...]) -> list[tuple[int, dict]]:
    """(first line of the record, {column: value}) per data row, parsed by the csv module over
    the whole text, so quoted fields may hold commas and newlines. A row whose field count
    differs from the header's (an unquoted comma, a missing field) is refused."""
    reader = csv.reader(io.StringIO(raw, newline=""))
    rows: list[tuple[int, dict]] = []
    header: list[str] | None = None
    start = 1  # the line where the record being read starts
    try:
        for fields in reader:
            line, start = start, reader.line_num + 1
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # a blank line
            if header is None:
                header = fields
                missing = [c for c in required if c not in header]
                if missing:
                    raise DataError(
                        f"data file {str(path)!r}: the first line must be a header naming the "
                        f"columns {required[0]!r} and {required[1]!r}; it is {header} "
                        f"(no {missing[0]!r})"
                    )
                continue
            if len(fields) != len(header):
                raise DataError(
                    f"{path}:{line}: {len(fields)} fields but the header has {len(header)}; "
                    'quote a field that holds a comma ("a, b")'
                )
            rows.append((line, dict(zip(header, fields))))
    except csv.Error as e:
        raise DataError(f"{path}:{start}: malformed CSV ({e})") from None
    return rows


def read_records(path: Path, text_col: str, label_col: str, task_col: str) -> list[Record]:
    """Read a .jsonl or .csv file into records, with errors that name the file and line."""
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        if not path.is_file():
            raise DataError(f"data file {str(path)!r} does not exist")
        raise DataError(
            f"data file {str(path)!r}: unsupported type {suffix!r} (use .jsonl or .csv)"
        )
    raw = read_input_file(path, "data file", DataError, DATA_LIMIT)
    if suffix == ".jsonl":
        rows = _jsonl_rows(path, raw)
    else:
        rows = _csv_rows(path, raw, (text_col, label_col))
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


def warn_shared_texts(train: list[Record], test: list[Record], train_path, test_path) -> None:
    """Log a warning when test texts also appear in the training file (leaked test examples
    make accuracy overstate what was learned). Not an error: some studies want it."""
    seen = {r.text for r in train}
    shared = sum(r.text in seen for r in test)
    if not shared:
        return
    if shared == len(test) and len(test) == len(train):
        logger.warning(
            "stream.test: test file %r holds the same %d texts as the train file %r; test accuracy "
            "will measure memorisation",
            str(test_path),
            shared,
            str(train_path),
        )
    else:
        logger.warning(
            "stream.test: %d of the %d texts of test file %r also appear in the train file %r",
            shared,
            len(test),
            str(test_path),
            str(train_path),
        )


@stream_kinds.register("files", help="your own tasks from JSONL/CSV files (text, label, task)")
class FilesStream:
    Spec = FilesStreamSpec

    @staticmethod
    def build(spec: FilesStreamSpec) -> Stream:
        cols = (spec.text_column, spec.label_column, spec.task_column)
        train = read_records(spec.train, *cols)
        if spec.test is not None:
            test = read_records(spec.test, *cols)
            warn_shared_texts(train, test, spec.train, spec.test)
        else:
            train, test = split_train_test(train, spec.test_fraction, spec.seed)
        return group_by_spec(spec.train.stem, spec, train, test)
