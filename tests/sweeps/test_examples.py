"""Every example sweep in experiments/sweeps/ loads, expands and validates cell by cell."""

from __future__ import annotations

from pathlib import Path

import pytest

from forgetlab.sweeps import load_sweep_spec, plan_sweep

SWEEPS = sorted((Path(__file__).parents[2] / "experiments" / "sweeps").glob("*.toml"))
CELLS = {
    "duplication_seeds": 9,
    "long_tail": 9,
    "task_order": 8,
    "lora_rank": 9,
    "ewc_lambda": 12,
    "mas_lambda": 12,
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
            assert node == value
    if spec.orders is not None:
        assert {e.transform[-1].kind for e in plan.specs.values()} == {"order"}
