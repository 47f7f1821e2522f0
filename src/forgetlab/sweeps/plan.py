"""Validate every cell of a sweep before anything runs: one bad cell stops the whole sweep.

plan = plan_sweep(load_sweep_spec("sweep.toml"))   # SpecError naming the cell and field
plan.cells[0], plan.specs["c000"]                  # Cell, its validated ExperimentSpec
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from forgetlab.errors import ForgetlabError, SpecError
from forgetlab.sweeps.grid import Cell, expand
from forgetlab.sweeps.kinds import cell_kinds
from forgetlab.sweeps.spec import SweepSpec


@dataclass(frozen=True)
class SweepPlan:
    spec: SweepSpec
    cells: list[Cell]
    specs: dict[str, Any]  # cell id -> validated spec (ExperimentSpec, or PretrainSpec)


def describe(cell: Cell) -> str:
    """'c003 (method.r=4, seed=1, order=2)': how error messages name a cell."""
    parts = [f"{k}={json.dumps(v)}" for k, v in cell.axes.items()] + [f"seed={cell.seed}"]
    if cell.order is not None:
        parts.append(f"order={json.dumps(cell.order)}")
    return f"{cell.id} ({', '.join(parts)})"


def plan_sweep(spec: SweepSpec, check_data: bool = True) -> SweepPlan:
    """Expand and validate every cell; with `check_data`, also resolve names and build each
    distinct stream once (forgetlab.validate; for pretraining cells the sizes, steps and
    corpus files), without loading any model weights."""
    kind = cell_kinds.get(spec.kind)
    cells = expand(spec)
    specs: dict[str, Any] = {}
    for cell in cells:
        try:
            specs[cell.id] = kind.validate(cell.data)
        except SpecError as e:
            raise SpecError(f"cell {describe(cell)}: {e}") from None
    if check_data:
        checked: set[str] = set()
        for cell in cells:
            key = kind.dump(specs[cell.id].model_copy(update={"seed": 0, "name": "cell"}))
            if key in checked:
                continue
            try:
                kind.check(specs[cell.id])
            except ForgetlabError as e:
                raise SpecError(f"cell {describe(cell)}: {e}") from None
            checked.add(key)
    return SweepPlan(spec, cells, specs)
