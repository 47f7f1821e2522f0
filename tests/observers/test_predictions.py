"""predictions/stage-XXX.csv and confusion.json: per-example test predictions and counts."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from tests.conftest import killed_after_stage_0, tiny_wordnet

from forgetlab.eval.confusion import confusion_matrix, seen_classes
from forgetlab.spec import spec_from_dict


def test_confusion_counts_by_hand():
    classes = seen_classes([(3, 1), (0,)], predicted=[1, 5])
    assert classes == [3, 1, 0, 5]  # seen classes in stream order, then a stray prediction
    pairs = [(3, 3), (3, 1), (1, 1), (0, 5), (0, 0), (0, 0)]
    assert confusion_matrix(pairs, classes) == [
        [1, 1, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 2, 1],
        [0, 0, 0, 0],
    ]


def _small(**extra) -> dict:
    """tiny-bert, 3 tasks x 2 classes, 10 test examples per class, one short epoch."""
    d = tiny_wordnet(train_per_class=16, test_per_class=10)
    return {**d, "train": {**d["train"], "epochs": 1}, **extra}


def _read(run_dir: Path, stage: int) -> list[dict]:
    with open(run_dir / "predictions" / f"stage-{stage:03d}.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_class_incremental_confusion_matches_the_accuracy_matrix(tmp_path):
    from forgetlab.experiment import run

    spec = spec_from_dict(_small(eval={"save_predictions": "every_stage"}))
    out = run(spec, out=tmp_path / "run")
    res = out.results
    conf = json.loads((out.run_dir / "confusion.json").read_text())["stages"]
    assert [e["stage"] for e in conf] == [0, 1, 2]
    for i, entry in enumerate(conf):
        M = entry["matrix"]
        assert len(entry["classes"]) == 2 * (i + 1)  # every class seen by stage i
        assert [sum(row) for row in M] == [10] * len(M)  # rows sum to each class's test count
        trace = sum(M[k][k] for k in range(len(M)))
        seen = res.accuracy_matrix[i][: i + 1]  # equal test counts: micro = macro average
        assert trace / sum(map(sum, M)) == pytest.approx(sum(seen) / len(seen))
        rows = _read(out.run_dir, i)
        assert len(rows) == sum(res.test_counts)  # every test example of every task
        for j, task in enumerate(res.tasks):
            hits = [r["label"] == r["predicted"] for r in rows if r["task"] == task]
            assert sum(hits) / len(hits) == pytest.approx(res.accuracy_matrix[i][j])
    assert conf[-1]["classes"] == res.classes[:6]


def test_default_saves_the_last_stage_only_and_resumed_runs_match(tmp_path):
    from forgetlab.experiment import resume, run

    spec = spec_from_dict(_small())
    whole = run(spec, out=tmp_path / "whole").run_dir
    assert sorted(p.name for p in (whole / "predictions").iterdir()) == ["stage-002.csv"]
    killed_after_stage_0(spec, tmp_path / "killed")
    resumed = resume(tmp_path / "killed").run_dir
    for name in ("predictions/stage-002.csv", "confusion.json"):
        assert (resumed / name).read_bytes() == (whole / name).read_bytes()
