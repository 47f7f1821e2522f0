"""Expand a sweep into cells: the product of its axes, task orders and seeds.
`seed_fields` (e.g. `["stream.seed"]`) take each cell's seed as well, so replicates differ
in their sampled data (class sets) as well as in their training randomness.

cells = expand(load_sweep_spec("sweep.toml"))
cells[0].id, cells[0].axes, cells[0].seed, cells[0].order, cells[0].data  # data: spec dict

Dotted paths address nested tables and list items (`transform.0.factor`,
`strategy.0.lambda_`); like `--set`, a path through a single-item list (or a single
`[strategy]` table) may leave out the `0`: `strategy.lambda_`.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from typing import Any

from forgetlab.errors import SpecError
from forgetlab.spec.paths import set_path
from forgetlab.sweeps.spec import SweepSpec


@dataclass(frozen=True)
class Cell:
    """One experiment of the sweep: its id, the axis values, seed and task order it takes."""

    id: str
    axes: dict[str, Any]
    seed: int
    order: int | list | None
    data: dict  # the experiment spec as a dict, before validation


def order_transform(order: int | list) -> dict:
    """The `order` transform a task-order axis value stands for."""
    return (
        {"kind": "order", "seed": order}
        if isinstance(order, int)
        else {"kind": "order", "order": order}
    )


def _orders(spec: SweepSpec) -> list[int | list | None]:
    if spec.orders is None:
        return [None]
    if isinstance(spec.orders, int):
        return list(range(spec.orders))
    return list(spec.orders)


def expand(spec: SweepSpec) -> list[Cell]:
    """Every cell of the grid: axes in file order, then orders, then seeds (innermost)."""
    if spec.orders is not None:
        kinds = [t.get("kind") for t in spec.base.get("transform", []) if isinstance(t, dict)]
        if "order" in kinds:
            raise SpecError("orders: the base already has an `order` transform; keep one of them")
    seeds = spec.seeds or spec.base.get("seeds") or [spec.base.get("seed", 0)]
    paths = list(spec.axes)
    combos = list(itertools.product(*spec.axes.values(), _orders(spec), seeds))
    width = max(3, len(str(len(combos) - 1)))
    cells = []
    for n, combo in enumerate(combos):
        values, order, seed = combo[: len(paths)], combo[-2], combo[-1]
        cell_id = f"c{n:0{width}d}"
        data = copy.deepcopy(spec.base)
        for path, value in zip(paths, values):
            try:
                set_path(data, path, value)
            except SpecError as e:
                raise SpecError(f"cell {cell_id}: axes.{e}") from None
        if order is not None:
            transforms = data.get("transform", [])
            data["transform"] = [*([transforms] if isinstance(transforms, dict) else transforms)]
            data["transform"].append(order_transform(order))
        data["seed"] = seed
        for path in spec.seed_fields:  # paired design: the replicate's seed drives these too
            try:
                set_path(data, path, seed)
            except SpecError as e:
                raise SpecError(f"cell {cell_id}: seed_fields: {e}") from None
        data.pop("seeds", None)  # a cell is one seed
        data["name"] = f"{spec.name}-{cell_id}"
        cells.append(Cell(cell_id, dict(zip(paths, values)), seed, order, data))
    return cells
