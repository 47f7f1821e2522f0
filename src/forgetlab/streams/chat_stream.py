"""`chat`: instruction tasks from JSONL files or a Hugging Face dataset; free-text targets.

    [stream]
    kind = "chat"
    train = "data/chat.jsonl"          # JSONL; or dataset = "databricks/databricks-dolly-15k"
    test = "data/chat_test.jsonl"      # optional: else test_fraction of each task, by hash
    task_column = "task"               # each record's task (stage); none: one task
    template = "auto"                  # the tokenizer's chat template if it has one, else plain

Each record is either a conversation,

    {"task": "qa", "messages": [{"role": "system", "content": "..."},
                                {"role": "user", "content": "What is ...?"},
                                {"role": "assistant", "content": "It is ..."}]}

whose last message is the assistant's response (the target; what comes before it is the
prompt), or an instruction (Alpaca/Dolly style),

    {"task": "qa", "instruction": "What is ...?", "input": "optional context", "response": "..."}

where a non-empty input follows the instruction after a blank line. Column names are fields
(`response_column = "output"` for Alpaca, `input_column = "context"` for Dolly). Training
scores the response tokens only; evaluation generates a response to every test prompt and
scores it against the reference (exact match, token F1, ROUGE-L: `[eval.generation]`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, PositiveInt, model_validator

from forgetlab.errors import DataError
from forgetlab.spec.base import SpecModel
from forgetlab.streams.generative import ChatRecord, assemble_generative, split_by_hash
from forgetlab.streams.registry import stream_kinds
from forgetlab.streams.task import Stream

ROLES = ("system", "user", "assistant")


class ChatStreamSpec(SpecModel):
    path_fields: ClassVar[tuple[str, ...]] = ("train", "test", "data_files")

    kind: Literal["chat"] = "chat"
    train: Path | None = Field(None, description="JSONL file of training records")
    test: Path | None = Field(None, description="JSONL test file (default: split train)")
    dataset: str | None = Field(
        None, description="a Hugging Face dataset (hub name, or a builder such as 'json')"
    )
    config_name: str | None = Field(None, description="the dataset's configuration name")
    data_files: dict[str, str] | str | None = Field(None, description="files for a builder")
    revision: str | None = None
    train_split: str = "train"
    test_split: str | None = Field(None, description="dataset test split (None: test_fraction)")
    messages_column: str = "messages"
    instruction_column: str = "instruction"
    input_column: str = Field("input", description="optional context appended to the instruction")
    response_column: str = "response"
    system_column: str = Field("system", description="optional per-record system message")
    task_column: str = Field("task", description="each record's task; absent: one task")
    system_prompt: str | None = Field(None, description="system message for records without one")
    task_order: list[str] | None = Field(None, description="explicit order of task names")
    n_tasks: PositiveInt | None = Field(None, description="keep only the first n tasks")
    max_train_per_task: PositiveInt | None = None
    max_test_per_task: PositiveInt | None = None
    test_fraction: float = Field(0.2, gt=0, lt=1, description="test share when no test split")
    seed: int = Field(0, description="the test split (with the prompt's hash) and subsampling")
    template: Literal["auto", "plain"] = Field(
        "auto", description="auto: the tokenizer's chat template when it has one, else plain"
    )

    @model_validator(mode="after")
    def _one_source(self) -> ChatStreamSpec:
        if (self.train is None) == (self.dataset is None):
            raise ValueError("give either train (a JSONL file) or dataset (Hugging Face)")
        if self.dataset is not None and self.test is not None:
            raise ValueError("test is a JSONL file for train files; use test_split for datasets")
        return self


def _text(value, where: str, what: str) -> str:
    if not isinstance(value, str):
        raise DataError(f"{where}: {what} must be a string, not {type(value).__name__}")
    return value


def parse_record(row: dict, spec: ChatStreamSpec, where: str) -> ChatRecord:
    """One source row as a ChatRecord (messages, or instruction/input/response)."""
    task = row.get(spec.task_column)
    task = None if task in (None, "") else str(task)
    system = row.get(spec.system_column) or spec.system_prompt
    head = (("system", _text(system, where, spec.system_column)),) if system else ()
    messages = row.get(spec.messages_column)
    if messages is not None:
        if not isinstance(messages, list) or not messages:
            raise DataError(f"{where}: {spec.messages_column!r} must be a non-empty list")
        turns = []
        for k, m in enumerate(messages):
            if not isinstance(m, dict) or m.get("role") not in ROLES or "content" not in m:
                raise DataError(
                    f"{where}: message {k} needs a role ({', '.join(ROLES)}) and a content"
                )
            turns.append((m["role"], _text(m["content"], where, f"message {k} content")))
        if len(turns) < 2 or turns[-1][0] != "assistant" or turns[-2][0] != "user":
            raise DataError(
                f"{where}: a conversation must end with a user message and the assistant's "
                "response to it"
            )
        context = tuple(turns[:-2])
        if head and not any(r == "system" for r, _ in context):
            context = head + context
        return ChatRecord(turns[-2][1], turns[-1][1], context, task, where)
    for col in (spec.instruction_column, spec.response_column):
        if row.get(col) in (None, ""):
            raise DataError(
                f"{where}: missing column {col!r} (and no {spec.messages_column!r}; "
                f"have {sorted(row)})"
            )
    text = _text(row[spec.instruction_column], where, spec.instruction_column)
    extra = row.get(spec.input_column)
    if extra not in (None, ""):
        text = f"{text}\n\n{_text(extra, where, spec.input_column)}"
    target = _text(row[spec.response_column], where, spec.response_column)
    return ChatRecord(text, target, head, task, where)


def read_jsonl(path: Path, spec: ChatStreamSpec) -> list[ChatRecord]:
    """Records of a JSONL file, with errors that name the file and line."""
    if not path.is_file():
        raise DataError(f"data file {str(path)!r} does not exist")
    if path.suffix.lower() != ".jsonl":
        raise DataError(f"data file {str(path)!r}: the chat stream reads .jsonl files")
    try:
        raw = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError(f"data file {str(path)!r} is not UTF-8 text (byte {e.start})") from None
    records = []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataError(f"{path}:{n}: invalid JSON ({e.msg})") from None
        if not isinstance(row, dict):
            raise DataError(f"{path}:{n}: each line must be a JSON object")
        records.append(parse_record(row, spec, f"{path}:{n}"))
    if not records:
        raise DataError(f"data file {str(path)!r} has no rows")
    return records


def read_dataset(spec: ChatStreamSpec) -> tuple[list[ChatRecord], list[ChatRecord] | None]:
    """(train, test or None) records of a Hugging Face dataset."""
    import datasets

    try:
        dsd = datasets.load_dataset(
            spec.dataset, spec.config_name, data_files=spec.data_files, revision=spec.revision
        )
    except Exception as e:  # noqa: BLE001  datasets raises many kinds; report them in one line
        raise DataError(
            f"dataset {spec.dataset!r} cannot be loaded: {type(e).__name__}: {e}"
        ) from None
    out = []
    for split in (spec.train_split, spec.test_split):
        if split is None:
            out.append(None)
            continue
        if split not in dsd:
            raise DataError(f"dataset {spec.dataset!r} has no split {split!r} (have {list(dsd)})")
        out.append([parse_record(row, spec, f"{split}[{i}]") for i, row in enumerate(dsd[split])])
    return out[0], out[1]


@stream_kinds.register(
    "chat", help="instruction/chat tasks from JSONL or a HF dataset (generative)"
)
class ChatStream:
    Spec = ChatStreamSpec
    generative = True

    @staticmethod
    def build(spec: ChatStreamSpec) -> Stream:
        if spec.train is not None:
            train = read_jsonl(spec.train, spec)
            test = read_jsonl(spec.test, spec) if spec.test is not None else None
            name = spec.train.stem
        else:
            train, test = read_dataset(spec)
            name = str(spec.dataset)
        if test is None:
            train, test = split_by_hash(train, spec.test_fraction, spec.seed)
        return assemble_generative(
            name,
            train,
            test,
            order=spec.task_order,
            n_tasks=spec.n_tasks,
            max_train=spec.max_train_per_task,
            max_test=spec.max_test_per_task,
            seed=spec.seed,
            info={"template": spec.template},
        )
