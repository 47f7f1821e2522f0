"""`hf`: tasks from a Hugging Face dataset through the `datasets` library.

    [stream]
    kind = "hf"
    path = "ag_news"              # a hub dataset (needs network) or a builder: "json", "csv"
    data_files = {train = "train.jsonl", test = "test.jsonl"}   # for builders
    classes_per_task = 2

Integer labels with a ClassLabel feature become their names.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from forgetlab.errors import DataError
from forgetlab.streams.grouping import GroupingSpec, Record, group_by_spec, split_train_test
from forgetlab.streams.registry import stream_kinds
from forgetlab.streams.task import Stream


class HFStreamSpec(GroupingSpec):
    path_fields: ClassVar[tuple[str, ...]] = ("data_files",)

    kind: Literal["hf"] = "hf"
    path: str = Field(description="dataset name on the hub (e.g. 'ag_news') or a builder ('json')")
    config_name: str | None = Field(None, description="the dataset's configuration name")
    data_files: dict[str, str] | str | None = Field(
        None, description="files for a builder, relative to the spec file"
    )
    revision: str | None = None
    train_split: str = "train"
    test_split: str | None = Field(
        "test", description="test split; None: a stratified test_fraction of the train split"
    )


def _records(ds, spec: HFStreamSpec, split: str) -> list[Record]:
    for col in (spec.text_column, spec.label_column):
        if col not in ds.column_names:
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
        task = row.get(spec.task_column)  # the task column is optional, as for `files`
        task = None if task in (None, "") else str(task)
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
        splits = [spec.train_split] + ([spec.test_split] if spec.test_split else [])
        for split in splits:
            if split not in dsd:
                raise DataError(f"dataset {spec.path!r} has no split {split!r} (have {list(dsd)})")
        train = _records(dsd[spec.train_split], spec, spec.train_split)
        if spec.test_split:
            test = _records(dsd[spec.test_split], spec, spec.test_split)
        else:
            train, test = split_train_test(train, spec.test_fraction, spec.seed)
        return group_by_spec(spec.path, spec, train, test)
