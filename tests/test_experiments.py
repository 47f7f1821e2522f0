"""Every committed experiment spec validates (names resolve, data loads, tasks non-empty)."""

from __future__ import annotations

from pathlib import Path

import pytest

from forgetlab.spec import load_spec
from forgetlab.validate import validate

EXPERIMENTS = Path(__file__).parent.parent / "experiments"
# folders named sweeps/ hold sweep specs, validated in tests/sweeps/test_examples.py and
# tests/memory/test_examples.py
SPECS = sorted(
    p for p in EXPERIMENTS.rglob("*.toml") if "sweeps" not in p.relative_to(EXPERIMENTS).parts
)


def test_there_are_experiments():
    assert len(SPECS) >= 4


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_experiment_validates(path: Path):
    report = validate(load_spec(path))
    assert len(report.examples) == len(report.stream.tasks) >= 2
