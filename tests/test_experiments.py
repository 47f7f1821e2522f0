"""Every committed experiment spec validates (names resolve, data loads, tasks non-empty)."""

from __future__ import annotations

from pathlib import Path

import pytest

from forgetlab.spec import load_spec, read_toml
from forgetlab.validate import validate

EXPERIMENTS = Path(__file__).parent.parent / "experiments"
# Sweep specs (folders named sweeps/, and files with a `base`, e.g. in experiments/papers/)
# are validated in tests/sweeps/test_examples.py and tests/memory/test_examples.py;
# experiments/llm/ holds hub-model specs, validated offline in tests/llm/test_llm_specs.py;
# experiments/scale/ holds pretraining and ladder specs (its models are built by `forgetlab
# pretrain`), validated in tests/pretrain/test_studies.py
SPECS = sorted(
    p
    for p in EXPERIMENTS.rglob("*.toml")
    if "sweeps" not in p.relative_to(EXPERIMENTS).parts
    and p.relative_to(EXPERIMENTS).parts[0] not in ("llm", "scale")
    and "base" not in read_toml(p)
)


def test_there_are_experiments():
    assert len(SPECS) >= 4


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_experiment_validates(path: Path):
    report = validate(load_spec(path))
    assert len(report.examples) == len(report.stream.tasks) >= 2
