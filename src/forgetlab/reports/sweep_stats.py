"""Statistics of a sweep's cells table for its report: configurations, means, 95% CIs, Pareto.

stats = config_stats(cells, by=["transform.0.factor"], metric="average_forgetting")
stats[["transform.0.factor", "mean", "ci_low", "ci_high", "n"]]

A configuration is one combination of the non-replicate axes; replicates (seeds, task orders)
are averaged, with a Student-t 95% confidence interval over them (scipy).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from forgetlab.metrics import metrics
from forgetlab.sweeps.aggregate import t_interval

# every registered metric is a column of a sweep's cells; pretraining cells add heldout_ppl
METRICS = [*metrics.in_order(), "heldout_ppl"]
LOWER_IS_BETTER = {m for m in metrics.in_order() if not metrics.get(m).higher_is_better} | {
    "heldout_ppl"
}
# drawn against parameters and pretraining tokens when a sweep varies them
SCALE_METRICS = ["average_forgetting", "learning_accuracy", "average_accuracy", "heldout_ppl"]


def leaf(axis: str) -> str:
    return axis.rsplit(".", 1)[-1]


def is_replicate(axis: str) -> bool:
    """Seeds and task orders are repetitions of a configuration, not configurations."""
    return leaf(axis) in {"seed", "seeds", "order"}


def is_order(axis: str) -> bool:
    return leaf(axis) == "order"


def short_axis(axis: str) -> str:
    """`transform.0.factor` -> `transform.factor` (list indices dropped) for labels."""
    return ".".join(p for p in axis.split(".") if not p.isdigit()) or axis


def hashable(cells: pd.DataFrame, axes: list[str]) -> pd.DataFrame:
    """A copy where list/dict axis values (e.g. an explicit task order) become strings."""
    out = cells.copy()
    for axis in axes:
        if axis in out and out[axis].map(lambda v: isinstance(v, list | dict | tuple)).any():
            out[axis] = out[axis].map(str)
    return out


def completed(cells: pd.DataFrame) -> pd.DataFrame:
    if "status" not in cells:
        return cells
    return cells[cells["status"].astype(str).isin(["complete", "done", "ok", "finished"])]


def mean_ci(values: np.ndarray) -> tuple[float, float, float, float, int]:
    """(mean, std, ci_low, ci_high, n) of finite values; the CI is NaN for n < 2 (the
    sweeps' own Student-t interval, reordered for the report's tables)."""
    mean, std, n, low, high = t_interval(np.asarray(values, dtype=float))
    return (mean, std, low, high, n)


def config_stats(cells: pd.DataFrame, by: list[str], metric: str) -> pd.DataFrame:
    """One row per combination of `by`, in the order the combinations first appear among the
    cells (the sweep file's order of axis values): mean, std, ci_low, ci_high, n of `metric`."""
    cells = completed(hashable(cells, by))
    cols = ["mean", "std", "ci_low", "ci_high", "n"]
    if metric not in cells:
        return pd.DataFrame(columns=by + cols)
    if not by:
        return pd.DataFrame([dict(zip(cols, mean_ci(cells[metric].to_numpy())))])
    rows = []
    for key, group in cells.groupby(by, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(by, key)), **dict(zip(cols, mean_ci(group[metric].to_numpy())))})
    return pd.DataFrame(rows, columns=by + cols)


def axis_value_text(value) -> str:
    """An axis value as people write it: a whole-section value (kept as compact JSON to group
    by, e.g. '{"kind": "er", "memory_size": 36}') reads 'er memory_size=36'."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        if isinstance(parsed, dict):
            kind = [str(parsed.pop("kind"))] if "kind" in parsed else []
            return " ".join(kind + [f"{k}={v}" for k, v in parsed.items()]) or "{}"
    return str(value)


def config_label(row: pd.Series | dict, axes: list[str]) -> str:
    return ", ".join(f"{short_axis(a)}={axis_value_text(row[a])}" for a in axes) or "all cells"


def pareto_front(learning: np.ndarray, forgetting: np.ndarray) -> np.ndarray:
    """Mask of points no other point beats on both (higher learning, lower forgetting)."""
    n = len(learning)
    mask = np.ones(n, dtype=bool)
    for i in range(n):
        better_eq = (learning >= learning[i]) & (forgetting <= forgetting[i])
        strictly = (learning > learning[i]) | (forgetting < forgetting[i])
        mask[i] = not np.any(better_eq & strictly)
    return mask


def order_spread(
    cells: pd.DataFrame, order_axis: str, config_axes: list[str], metric: str
) -> pd.DataFrame:
    """Per configuration: the metric per task order (mean over seeds), and its spread."""
    cells = completed(hashable(cells, [order_axis, *config_axes]))
    if metric not in cells:
        return pd.DataFrame()
    per_order = cells.groupby([*config_axes, order_axis], dropna=False)[metric].mean()
    per_order = per_order.reset_index()
    rows = []
    groups = per_order.groupby(config_axes, dropna=False) if config_axes else [((), per_order)]
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        v = group[metric].to_numpy(dtype=float)
        rows.append(
            {
                **dict(zip(config_axes, key)),
                "orders": int(np.isfinite(v).sum()),
                "mean": float(np.nanmean(v)),
                "std": float(np.nanstd(v, ddof=1)) if np.isfinite(v).sum() > 1 else np.nan,
                "min": float(np.nanmin(v)),
                "max": float(np.nanmax(v)),
                "values": v,
            }
        )
    out = pd.DataFrame(rows)
    out["range"] = out["max"] - out["min"]
    return out
