"""The `files`/`hf` train/test split: stratified by (task, label), identical texts kept on one
side, and the duplicates found reported in the stream (and results.json)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from forgetlab.streams.grouping import Record, duplicate_counts, split_train_test


def records() -> list[Record]:
    """Two tasks that share the label names "pos"/"neg" (12 records each per task), with
    every third text of task A repeated 3 times."""
    out = []
    for task in ("A", "B"):
        for label in ("pos", "neg"):
            for i in range(12):
                text = f"{task} {label} {i // 3 if task == 'A' else i}"
                out.append(Record(text, label, task))
    return out


def test_each_task_and_label_gets_its_share_of_test():
    recs = records()
    train, test = split_train_test(recs, 0.25, seed=0)
    assert len(train) + len(test) == len(recs)
    per = Counter((r.task, r.label) for r in test)
    # B: 12 distinct texts per label -> 3 each; A: 4 groups of 3 copies -> one group each
    assert per == {("A", "pos"): 3, ("A", "neg"): 3, ("B", "pos"): 3, ("B", "neg"): 3}


def test_identical_texts_never_straddle_the_split():
    for seed in range(5):
        train, test = split_train_test(records(), 0.25, seed=seed)
        assert not {r.text for r in train} & {r.text for r in test}


def test_duplicates_are_counted():
    train, test = split_train_test(records(), 0.25, seed=0)
    # task A: 24 records, 8 distinct texts -> 16 repeats; nothing of test is in train
    assert duplicate_counts(train, test) == {"repeated_texts": 16, "test_texts_in_train": 0}
    leak = [Record("same", "pos", "A")]
    assert duplicate_counts(leak, leak)["test_texts_in_train"] == 1


def test_files_stream_reports_duplicates_in_results(tmp_path: Path):
    import forgetlab
    from forgetlab.spec import spec_from_dict
    from tests.conftest import toy_rows, write_jsonl

    rows = toy_rows(20, seed=0)
    rows += rows[:10]  # ten exact repeats
    train = write_jsonl(tmp_path / "train.jsonl", rows)
    spec = spec_from_dict(
        {
            "model": {"name": "tiny-bert"},
            "stream": {"kind": "files", "train": str(train), "test_fraction": 0.25},
            "train": {"epochs": 1, "batch_size": 16, "checkpoint": "none"},
        }
    )
    from forgetlab.streams import build_experiment_stream

    stream = build_experiment_stream(spec)
    dupes = stream.info["duplicates"]
    texts = [(r["text"]) for r in rows]
    assert dupes["repeated_texts"] == len(texts) - len(set(texts)) >= 10
    assert dupes["test_texts_in_train"] == 0
    test_texts = {e.text for t in stream.tasks for e in t.test}
    assert not test_texts & {e.text for t in stream.tasks for e in t.train}
    run = forgetlab.run(spec, out=tmp_path / "run")
    saved = json.loads((run.run_dir / "results.json").read_text())
    assert saved["stream_info"]["duplicates"] == dupes
