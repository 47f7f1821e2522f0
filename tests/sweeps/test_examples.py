"""Every example sweep in experiments/sweeps/ loads, expands and validates cell by cell."""

from __future__ import annotations

from pathlib import Path

import pytest

from forgetlab.spec import read_toml
from forgetlab.sweeps import load_sweep_spec, plan_sweep

EXPERIMENTS = Path(__file__).parents[2] / "experiments"
SWEEPS = sorted(
    [
        *(EXPERIMENTS / "sweeps").glob("*.toml"),
        *(p for p in (EXPERIMENTS / "papers").glob("*.toml") if "base" in read_toml(p)),
    ]
)
CELLS = {
    "duplication_seeds": 36,
    "long_tail": 9,
    "task_order": 8,
    "lora_rank": 9,
    "ewc_lambda": 12,
    "mas_lambda": 12,
    "learn_or_recall": 6,
    "can_bert_overlap": 6,
    "cl_ordering": 12,
    "lora_learns_less": 12,
    "all_cil": 18,
}


def test_the_example_sweeps_are_there():
    assert sorted(p.stem for p in SWEEPS) == sorted(CELLS)


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.stem)
def test_example_sweep_validates(path: Path):
    plan = plan_sweep(load_sweep_spec(path))
    assert len(plan.cells) == CELLS[path.stem]
    spec = plan.spec
    for cell in plan.cells:  # each cell's validated spec carries its axis values and seed
        exp = plan.specs[cell.id]
        assert exp.seed == cell.seed
        for axis, value in cell.axes.items():
            node = exp
            for part in axis.split("."):
                if isinstance(node, tuple) and not part.isdigit():
                    (node,) = node  # a single [strategy] table, addressed without its index
                node = node[int(part)] if part.isdigit() else getattr(node, part)
            if isinstance(value, dict):  # a whole section (a strategy, a method): its fields
                node = node[0] if isinstance(node, tuple) else node
                assert {k: getattr(node, k) for k in value} == value
            else:
                assert node == value
    if spec.orders is not None:
        assert {e.transform[-1].kind for e in plan.specs.values()} == {"order"}
