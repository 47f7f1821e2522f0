"""Streams: WordNet construction, local files, Hugging Face datasets from local files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forgetlab.data.wordnet import LEXNAMES, load_wordnet
from forgetlab.errors import DataError
from forgetlab.spec import spec_from_dict
from forgetlab.streams import build_stream


def stream_of(**stream):
    return build_stream(spec_from_dict({"stream": stream}).stream)


def test_bundled_wordnet_is_complete():
    glosses = load_wordnet()
    assert len(glosses) == 117_659
    assert len(LEXNAMES) == 45 and LEXNAMES[5] == "noun.animal"
    assert {g.label for g in glosses} == set(LEXNAMES)
    assert sum(g.label == "noun.motive" for g in glosses) == 42


def test_wordnet_cil_tasks_are_disjoint_and_sized():
    s = stream_of(
        kind="wordnet-cil",
        n_tasks=4,
        classes_per_task=3,
        train_per_class=30,
        test_per_class=10,
        seed=3,
    )
    assert s.scenario == "class_incremental" and len(s.tasks) == 4
    assert len(set(s.class_names)) == 12
    classes = [set(t.classes) for t in s.tasks]
    assert all(not (a & b) for i, a in enumerate(classes) for b in classes[i + 1 :])
    for t in s.tasks:
        assert len(t.train) == 90 and len(t.test) == 30
        assert {e.label for e in t.train} == set(t.classes)
        assert not {e.text for e in t.train} & {e.text for e in t.test}
    uids = [e.uid for t in s.tasks for e in (*t.train, *t.test)]
    assert len(uids) == len(set(uids))


def test_wordnet_is_deterministic_under_a_seed_and_varies_with_it():
    kw = dict(
        kind="wordnet-cil", n_tasks=3, classes_per_task=2, train_per_class=20, test_per_class=5
    )
    a, b, c = stream_of(seed=1, **kw), stream_of(seed=1, **kw), stream_of(seed=2, **kw)
    assert a == b
    assert a.class_names != c.class_names


def test_wordnet_test_pool_does_not_depend_on_the_seed():
    kw = dict(
        kind="wordnet-cil",
        n_tasks=1,
        classes=[["noun.animal", "noun.plant"]],
        train_per_class=200,
        test_per_class=50,
    )
    train_texts = {e.text for s in (1, 2, 3) for e in stream_of(seed=s, **kw).tasks[0].train}
    test_texts = {e.text for s in (1, 2, 3) for e in stream_of(seed=s, **kw).tasks[0].test}
    assert not train_texts & test_texts


def test_wordnet_til_candidates_are_the_task_classes():
    s = stream_of(
        kind="wordnet-til", n_tasks=2, classes_per_task=2, train_per_class=10, test_per_class=5
    )
    assert s.candidates(stage=1, task=0) == s.tasks[0].classes
    cil = stream_of(
        kind="wordnet-cil", n_tasks=3, classes_per_task=2, train_per_class=10, test_per_class=5
    )
    assert cil.candidates(stage=1, task=0) == (0, 1, 2, 3)
    assert cil.candidates(stage=0, task=2) == (0, 1, 2, 3, 4, 5)  # future task: + its own
    assert cil.candidates(stage=-1, task=1) == (0, 1, 2, 3)


def test_too_many_classes_is_a_clear_error():
    with pytest.raises(DataError, match="needs 60 categories"):
        stream_of(kind="wordnet-cil", n_tasks=20, classes_per_task=3)


def test_files_stream_with_task_column(toy_files):
    train, test = toy_files
    s = stream_of(kind="files", train=str(train), test=str(test))
    assert s.task_names == ["leisure", "home"]
    assert s.class_names == ("sports", "music", "cooking", "travel")
    assert [len(t.train) for t in s.tasks] == [80, 80]


def test_files_stream_csv_grouped_by_label_with_split(tmp_path: Path):
    path = tmp_path / "d.csv"
    path.write_text("text,label\n" + "".join(f"text {i},{'abcd'[i % 4]}\n" for i in range(40)))
    s = stream_of(kind="files", train=str(path), classes_per_task=2, test_fraction=0.3)
    assert [t.name for t in s.tasks] == ["task0", "task1"]
    assert [len(t.test) for t in s.tasks] == [6, 6] and [len(t.train) for t in s.tasks] == [14, 14]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("", "empty.jsonl", "has no rows"),
        ('{"text": "x"}\n', "nolabel.jsonl", "missing column 'label'"),
        ("{not json\n", "bad.jsonl", "invalid JSON"),
        (b"\xff\xfe\x00bad", "binary.jsonl", "not UTF-8"),
        ("text,label\nx,a\n", "data.tsv", "unsupported type"),
    ],
)
def test_bad_data_files(tmp_path: Path, content, name: str, message: str):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(DataError, match=message):
        stream_of(kind="files", train=str(path))


def test_missing_file_label_outside_set_and_empty_task(tmp_path: Path, toy_files):
    with pytest.raises(DataError, match="does not exist"):
        stream_of(kind="files", train=str(tmp_path / "missing.jsonl"))
    train, test = toy_files
    with pytest.raises(
        DataError, match=r"label 'travel' \(.*train.jsonl:\d+\) is not in the label set"
    ):
        stream_of(kind="files", train=str(train), labels=["sports", "music", "cooking"])
    only_leisure = tmp_path / "t.jsonl"
    only_leisure.write_text(
        "".join(line for line in test.read_text().splitlines(True) if "leisure" in line)
    )
    with pytest.raises(DataError, match="task 'home' has no test examples"):
        stream_of(kind="files", train=str(train), test=str(only_leisure))


def test_cil_refuses_shared_labels(tmp_path: Path):
    rows = [{"text": f"x{i}", "label": "same", "task": f"t{i % 2}"} for i in range(8)]
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(DataError, match="disjoint label sets"):
        stream_of(kind="files", train=str(path))
    til = stream_of(kind="files", train=str(path), scenario="task_incremental")
    assert til.class_names == ("same", "same")


def test_hf_stream_through_datasets_on_local_files(toy_files):
    """The `hf` path (datasets.load_dataset) with the json builder: same code as hub names."""
    train, test = toy_files
    s = stream_of(
        kind="hf",
        path="json",
        data_files={"train": str(train), "test": str(test)},
        task_column="task",
    )
    files = stream_of(kind="files", train=str(train), test=str(test))
    assert s.class_names == files.class_names
    assert [len(t.train) for t in s.tasks] == [len(t.train) for t in files.tasks]


def test_hf_stream_missing_column(toy_files):
    train, test = toy_files
    with pytest.raises(DataError, match="has no column 'sentence'"):
        stream_of(
            kind="hf",
            path="json",
            data_files={"train": str(train), "test": str(test)},
            text_column="sentence",
        )
