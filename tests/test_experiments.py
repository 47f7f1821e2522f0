"""Every committed experiment spec validates (names resolve, data loads, tasks non-empty)."""

from __future__ import annotations

from pathlib import Path

import pytest

from forgetlab.spec import load_spec, read_toml
from forgetlab.validate import validate

EXPERIMENTS = Path(__file__).parent.parent / "experiments"
# Sweep specs (experiments/sweeps/, and files with a `base`, e.g. in experiments/papers/) are
# validated in tests/sweeps/test_examples.py
SPECS = sorted(
    p
    for p in EXPERIMENTS.rglob("*.toml")
    if p.relative_to(EXPERIMENTS).parts[0] != "sweeps" and "base" not in read_toml(p)
)


def test_there_are_experiments():
    assert len(SPECS) >= 4


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_experiment_validates(path: Path):
    report = validate(load_spec(path))
    assert len(report.examples) == len(report.stream.tasks) >= 2
