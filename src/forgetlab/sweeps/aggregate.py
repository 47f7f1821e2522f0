"""Sweep tables (pandas): one row per cell, and statistics per group of axis values.

sweep = forgetlab.load_sweep("runs/sweeps/dup")
sweep.cells               # cell, <axis paths>, seed, order, status, run_dir, seconds,
                          # total_params, pretrain_tokens, family (results.json `model`), metrics
sweep.grouped             # per axis values: <metric>_mean/_std/_n/_ci95_low/_ci95_high
sweep.order_sensitivity   # per axis values: <metric>_order_std/_order_range over task orders

Groups pool the cells that differ only in seed and task order; the 95% interval is
mean +- t(0.975, n-1) * std / sqrt(n) with the sample std (ddof 1): nan when n < 2.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from forgetlab.fileio import atomic_write
from forgetlab.sweeps.index import read_index

STATS = ("mean", "std", "n", "ci95_low", "ci95_high")


def t_interval(values) -> tuple[float, float, int, float, float]:
    """(mean, std, n, ci95_low, ci95_high) of the finite values, t distribution, ddof 1."""
    x = np.asarray([v for v in values if v is not None], dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return (math.nan, math.nan, 0, math.nan, math.nan)
    mean = float(x.mean())
    if n == 1:
        return (mean, math.nan, 1, math.nan, math.nan)
    std = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.975, n - 1)) * std / math.sqrt(n)
    return (mean, std, n, mean - half, mean + half)


def _scalar(v: Any) -> Any:
    """Lists and tables (explicit orders, whole sections) as compact JSON, to group by."""
    return json.dumps(v, sort_keys=True) if isinstance(v, (list, dict)) else v


MODEL_COLUMNS = ("total_params", "pretrain_tokens", "family")


def _results(run_dir: Path) -> tuple[dict[str, float], dict[str, Any]]:
    """(metrics, model columns) of a run's results.json: the model's parameter count,
    pretraining tokens and family, for scale curves (absent values are None)."""
    try:
        res = json.loads((run_dir / "results.json").read_bytes())
    except (OSError, ValueError):
        return {}, dict.fromkeys(MODEL_COLUMNS)
    metrics = {k: (math.nan if v is None else float(v)) for k, v in res.get("metrics", {}).items()}
    model = res.get("model") or {}
    return metrics, {c: model.get(c) for c in MODEL_COLUMNS}


def cells_table(root: Path) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The per-cell table, the axis columns and the metric columns."""
    index = read_index(root)
    rows, metrics = [], {}
    for rec in index.cells:
        run_dir = (root / rec.run_dir).resolve()
        row = {"cell": rec.cell, **{a: _scalar(rec.axes.get(a)) for a in index.axes}}
        row.update(seed=rec.seed, order=_scalar(rec.order), status=rec.status)
        row.update(run_dir=str(run_dir), seconds=rec.seconds)
        found, model = _results(run_dir) if rec.status == "done" else ({}, {})
        metrics.update(dict.fromkeys(found))
        rows.append({**row, **dict.fromkeys(MODEL_COLUMNS), **model, **found})
    base = ["cell", *index.axes, "seed", "order", "status", "run_dir", "seconds", *MODEL_COLUMNS]
    return pd.DataFrame(rows, columns=[*base, *metrics]), list(index.axes), list(metrics)


def _groups(df: pd.DataFrame, axes: list[str]):
    if df.empty:
        return []
    if not axes:
        return [((), df)]
    return [
        ((k if isinstance(k, tuple) else (k,)), g)
        for k, g in df.groupby(axes, dropna=False, sort=False)
    ]


def grouped_table(cells: pd.DataFrame, axes: list[str], metrics: list[str]) -> pd.DataFrame:
    """Mean, std, n and 95% t interval per metric over the done cells of each group."""
    done = cells[cells["status"] == "done"]
    rows = []
    for key, g in _groups(done, axes):
        row = dict(zip(axes, key))
        row["cells"] = len(g)
        for m in metrics:
            row.update({f"{m}_{s}": v for s, v in zip(STATS, t_interval(g[m]))})
        rows.append(row)
    columns = [*axes, "cells", *(f"{m}_{s}" for m in metrics for s in STATS)]
    return pd.DataFrame(rows, columns=columns)


def order_table(cells: pd.DataFrame, axes: list[str], metrics: list[str]) -> pd.DataFrame:
    """Per group: each metric averaged over seeds per task order, then its std and range
    (max - min) over the orders. Empty when the sweep has no task-order axis."""
    done = cells[(cells["status"] == "done") & cells["order"].notna()]
    rows = []
    for key, g in _groups(done, axes):
        per_order = g.groupby("order", sort=False)[metrics].mean()
        row = {**dict(zip(axes, key)), "orders": len(per_order)}
        for m in metrics:
            v = per_order[m].dropna()
            row[f"{m}_order_std"] = float(v.std(ddof=1)) if len(v) > 1 else math.nan
            row[f"{m}_order_range"] = float(v.max() - v.min()) if len(v) else math.nan
        rows.append(row)
    columns = [*axes, "orders", *(f"{m}_order_{s}" for m in metrics for s in ("std", "range"))]
    return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True)
class Sweep:
    """A sweep directory's tables (see the module docstring)."""

    dir: Path
    axes: list[str]
    metrics: list[str]
    cells: pd.DataFrame
    grouped: pd.DataFrame
    order_sensitivity: pd.DataFrame

    def write_tables(self) -> None:
        """summary.csv, grouped.csv (and order_sensitivity.csv with orders), atomically."""
        atomic_write(self.dir / "summary.csv", self.cells.to_csv(index=False))
        atomic_write(self.dir / "grouped.csv", self.grouped.to_csv(index=False))
        if len(self.order_sensitivity):
            atomic_write(
                self.dir / "order_sensitivity.csv", self.order_sensitivity.to_csv(index=False)
            )


def load_sweep(path: str | Path) -> Sweep:
    """Read a sweep directory (its cells.json and each done cell's results.json)."""
    root = Path(path)
    cells, axes, metrics = cells_table(root)
    return Sweep(
        root,
        axes,
        metrics,
        cells,
        grouped_table(cells, axes, metrics),
        order_table(cells, axes, metrics),
    )
