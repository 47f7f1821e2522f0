"""`hf`: tasks from a Hugging Face dataset through the `datasets` library.

    [stream]
    kind = "hf"
    path = "ag_news"              # a hub dataset (needs network) or a builder: "json", "csv"
    data_files = {train = "train.jsonl", test = "test.jsonl"}   # for builders
    classes_per_task = 2

Integer labels with a ClassLabel feature become their names.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt

from forgetlab.errors import DataError
from forgetlab.spec.base import SpecModel
from forgetlab.streams.grouping import Record, group_records
from forgetlab.streams.registry import stream_kinds
from forgetlab.streams.task import Scenario, Stream


class HFStreamSpec(SpecModel):
    kind: Literal["hf"] = "hf"
    path: str = Field(description="dataset name on the hub (e.g. 'ag_news') or a builder ('json')")
    config_name: str | None = Field(None, description="the dataset's configuration name")
    data_files: dict[str, str] | str | None = Field(None, description="files for a builder")
    revision: str | None = None
    train_split: str = "train"
    test_split: str = "test"
    scenario: Scenario = "class_incremental"
    text_column: str = "text"
    label_column: str = "label"
    task_column: str | None = None
    classes_per_task: PositiveInt | None = None
    n_tasks: PositiveInt | None = None
    task_order: list[str] | None = None
    shuffle_classes: bool = False
    max_train_per_class: PositiveInt | None = None
    max_test_per_class: PositiveInt | None = None
    seed: int = 0
    prompt: str = "{text}\nCategory:"


def _records(ds, spec: HFStreamSpec, split: str) -> list[Record]:
    for col in (spec.text_column, spec.label_column, spec.task_column):
        if col is not None and col not in ds.column_names:
            raise DataError(
                f"dataset {spec.path!r} split {split!r} has no column {col!r} "
                f"(have {ds.column_names})"
            )
    feature = ds.features[spec.label_column]
    names = getattr(feature, "names", None)
    out = []
    for i, row in enumerate(ds):
        label = row[spec.label_column]
        label = names[label] if names is not None else str(label)
        task = str(row[spec.task_column]) if spec.task_column else None
        out.append(Record(str(row[spec.text_column]), label, task, where=f"{split}[{i}]"))
    return out


@stream_kinds.register("hf", help="a Hugging Face dataset by name (hub) or builder (json/csv)")
class HFStream:
    Spec = HFStreamSpec

    @staticmethod
    def build(spec: HFStreamSpec) -> Stream:
        import datasets

        try:
            dsd = datasets.load_dataset(
                spec.path, spec.config_name, data_files=spec.data_files, revision=spec.revision
            )
        except FileNotFoundError as e:
            raise DataError(f"dataset {spec.path!r}: {e}") from None
        except Exception as e:  # noqa: BLE001  datasets raises many kinds; report them in one line
            raise DataError(
                f"dataset {spec.path!r} cannot be loaded: {type(e).__name__}: {e}"
            ) from None
        for split in (spec.train_split, spec.test_split):
            if split not in dsd:
                raise DataError(f"dataset {spec.path!r} has no split {split!r} (have {list(dsd)})")
        return group_records(
            spec.path,
            spec.scenario,
            _records(dsd[spec.train_split], spec, spec.train_split),
            _records(dsd[spec.test_split], spec, spec.test_split),
            prompt=spec.prompt,
            classes_per_task=spec.classes_per_task,
            n_tasks=spec.n_tasks,
            task_order=spec.task_order,
            seed=spec.seed,
            shuffle_classes=spec.shuffle_classes,
            max_train_per_class=spec.max_train_per_class,
            max_test_per_class=spec.max_test_per_class,
        )
