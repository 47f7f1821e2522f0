"""Shared fixtures: small offline streams and specs for tiny models."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

KEYWORDS = {
    "sports": ["goal", "team", "ball", "match"],
    "music": ["song", "guitar", "band", "melody"],
    "cooking": ["oven", "recipe", "bake", "spice"],
    "travel": ["flight", "hotel", "trip", "passport"],
}
TASKS = {"leisure": ["sports", "music"], "home": ["cooking", "travel"]}
FILLER = "the a of and to in is was it for on with as at by".split()


def toy_rows(per_label: int, seed: int) -> list[dict]:
    """Texts of filler words plus one keyword of their label: learnable by any tiny model."""
    rng = random.Random(seed)
    rows = []
    for task, labels in TASKS.items():
        for label in labels:
            for _ in range(per_label):
                words = rng.sample(FILLER, 4) + [rng.choice(KEYWORDS[label])]
                rng.shuffle(words)
                rows.append({"text": " ".join(words), "label": label, "task": task})
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def toy_files(tmp_path: Path) -> tuple[Path, Path]:
    """(train.jsonl, test.jsonl): 2 tasks x 2 labels, 40 train and 10 test rows per label."""
    return (
        write_jsonl(tmp_path / "train.jsonl", toy_rows(40, seed=0)),
        write_jsonl(tmp_path / "test.jsonl", toy_rows(10, seed=1)),
    )


def tiny_wordnet(**stream) -> dict:
    """A spec dict for tiny-bert on a small WordNet class-incremental stream."""
    return {
        "name": "tiny",
        "model": {"name": "tiny-bert"},
        "stream": {
            "kind": "wordnet-cil",
            "n_tasks": 3,
            "classes_per_task": 2,
            "train_per_class": 60,
            "test_per_class": 20,
            **stream,
        },
        "train": {"epochs": 3, "lr": 2e-3, "batch_size": 16, "checkpoint": "none"},
    }


@pytest.fixture
def tiny_spec_dict() -> dict:
    return tiny_wordnet()


@pytest.fixture(autouse=True)
def _no_report_by_default(monkeypatch):
    """Runs in tests skip report.html (about a second each) unless a test asks for it with
    run(..., report=True); the report tests do."""
    import forgetlab.experiment
    import forgetlab.sweeps.runner

    monkeypatch.setattr(forgetlab.experiment, "REPORT_BY_DEFAULT", False)
    monkeypatch.setattr(forgetlab.sweeps.runner, "REPORT_BY_DEFAULT", False)  # sweeps too


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run the `forgetlab` command in-process: (exit code, stdout, stderr)."""
    import sys

    from forgetlab.cli.main import main

    old = sys.argv
    sys.argv = ["forgetlab", *args]
    try:
        main()
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    finally:
        sys.argv = old
    out, err = capsys.readouterr()
    return code, out, err


class Killed(Exception):
    """Stands for a process killed right after a stage's resume state was saved."""


def killed_after_stage_0(spec, out: Path) -> None:
    """Run `spec` into `out` and die like a killed process once stage 0's state is on disk."""
    import forgetlab.experiment as experiment
    from forgetlab.runs import resume as resume_state

    real = resume_state.save

    def save_then_die(*args):
        real(*args)
        raise Killed

    resume_state.save = save_then_die
    try:
        with pytest.raises(Killed):
            experiment.run(spec, out=out)
    finally:
        resume_state.save = real


def loop(spec, strategies=None, observers=()):
    """(learner, stream, strategies, the stage loop's iterator) for `spec`, in memory: the same
    `train_stream` a run uses, without a run directory. The iterator yields stage -1 first."""
    import torch

    from forgetlab.models import build_learner
    from forgetlab.strategies import build_strategies
    from forgetlab.streams import build_experiment_stream
    from forgetlab.train.stream import train_stream

    stream = build_experiment_stream(spec)
    learner = build_learner(spec, stream)
    strategies = build_strategies(spec.strategy) if strategies is None else strategies
    stages = train_stream(
        learner,
        stream,
        strategies,
        spec.train,
        seed=spec.seed,
        observers=list(observers),
        device=torch.device("cpu"),
    )
    return learner, stream, strategies, stages


def assert_whole_counts(results) -> None:
    """Every accuracy in R (and before training) is correct / total over the task's test
    examples: a whole number of hits (catches a wrong denominator or a mixed-up matrix)."""
    rows = [results.initial_accuracy, *results.accuracy_matrix]
    assert len(results.accuracy_matrix) == len(results.tasks)
    for row in rows:
        for a, n in zip(row, results.test_counts):
            assert abs(a * n - round(a * n)) < 1e-6, (a, n)
