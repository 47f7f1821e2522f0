"""The sweep directory and its index of cells (`cells.json`), rewritten atomically.

SWEEP_DIR/sweep.toml            the resolved sweep (base inlined)
SWEEP_DIR/cells.json            {"name", "axes", "cells": [CellRecord...]}
SWEEP_DIR/cells/<id>/           an ordinary run directory per cell (+ traceback.txt on failure)
SWEEP_DIR/logs/<id>.log         the cell's stdout and stderr
SWEEP_DIR/summary.csv           one row per cell with its metrics (forgetlab.load_sweep)
SWEEP_DIR/grouped.csv           mean, std, n and 95% CI per group of axis values

index = read_index(Path("runs/sweeps/dup"))
[c.status for c in index.cells]   # pending | running | done | failed
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from forgetlab.errors import RunDirError
from forgetlab.fileio import atomic_write

Status = Literal["pending", "running", "done", "failed"]
INDEX = "cells.json"


class CellRecord(BaseModel):
    cell: str
    axes: dict[str, Any]
    seed: int
    order: int | list[int] | list[str] | None = None
    status: Status = "pending"
    error: str | None = None
    run_dir: str  # relative to the sweep directory
    seconds: float | None = None
    worker: str | None = None  # host:pid that ran it
    threads: int | None = None  # torch threads it used


class SweepIndex(BaseModel):
    name: str
    axes: list[str]
    cells: list[CellRecord]


def cell_dir(root: Path, cell: str) -> Path:
    return root / "cells" / cell


def read_index(root: Path) -> SweepIndex:
    path = Path(root) / INDEX
    if not path.is_file():
        raise RunDirError(f"{str(root)!r} is not a sweep directory (no {INDEX})")
    try:
        return SweepIndex.model_validate_json(path.read_bytes())
    except (ValidationError, ValueError) as e:
        raise RunDirError(f"{path}: not a valid sweep index ({str(e).splitlines()[0]})") from None


def write_index(root: Path, index: SweepIndex) -> None:
    atomic_write(Path(root) / INDEX, json.dumps(index.model_dump(mode="json"), indent=1) + "\n")


def run_complete(
    run_dir: Path, spec_toml: str | None = None, normalise: Callable[[str], str] | None = None
) -> bool:
    """A finished run: results.json says complete (and spec.toml equals `spec_toml`, as
    written or after `normalise`: the stored spec validated and dumped again by this code, so
    a field added since, at its default, does not make it another spec)."""
    try:
        status = json.loads((run_dir / "results.json").read_bytes()).get("status")
        if status != "complete":
            return False
        if spec_toml is None:
            return True
        stored = (run_dir / "spec.toml").read_text()
    except (OSError, ValueError):
        return False
    if stored == spec_toml:
        return True
    if normalise is None:
        return False
    try:
        return normalise(stored) == spec_toml
    except Exception:  # a spec this code no longer accepts is not the same spec
        return False
