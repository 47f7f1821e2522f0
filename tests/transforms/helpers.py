"""Hand-made streams with known counts, and checks of the stream invariants."""

from __future__ import annotations

from collections import Counter

from forgetlab.spec import spec_from_dict
from forgetlab.streams.grouping import Record, TaskData, assemble
from forgetlab.streams.task import Stream
from forgetlab.streams.transforms import apply_transforms


def toy_stream(train: list[list[int]], test: int = 2, scenario="class_incremental") -> Stream:
    """Task t has len(train[t]) classes 't{t}c{c}' with train[t][c] training examples each
    (texts with three clauses) and `test` test examples per class."""
    tasks = []
    for t, counts in enumerate(train):
        labels = tuple(f"t{t}c{c}" for c in range(len(counts)))
        tr = [
            Record(f"task {t} class {c} item {i}, second clause; third clause", labels[c])
            for c, n in enumerate(counts)
            for i in range(n)
        ]
        te = [
            Record(f"test {t} {c} {i}", labels[c]) for c in range(len(counts)) for i in range(test)
        ]
        tasks.append(TaskData(f"task{t}", labels, tuple(tr), tuple(te)))
    return assemble("toy", scenario, tasks, prompt="{text}")


def transform_specs(*tables: dict):
    """Validated transform specs, through the experiment spec (as a TOML file gives them)."""
    return spec_from_dict({"stream": {"kind": "wordnet-cil"}, "transform": list(tables)}).transform


def apply(stream: Stream, *tables: dict, seed: int = 0) -> Stream:
    return apply_transforms(stream, transform_specs(*tables), seed)


def class_counts(examples) -> dict[int, int]:
    return dict(sorted(Counter(ex.label for ex in examples).items()))


def check_invariants(stream: Stream) -> None:
    """Unique uids; classes numbered task after task; labels and task ids consistent."""
    uids = [ex.uid for t in stream.tasks for ex in (*t.train, *t.test)]
    assert len(uids) == len(set(uids))
    start = 0
    for i, t in enumerate(stream.tasks):
        assert t.classes == tuple(range(start, start + len(t.classes)))
        start += len(t.classes)
        for ex in (*t.train, *t.test):
            assert ex.task == i and ex.label in t.classes
    assert start == stream.num_classes
