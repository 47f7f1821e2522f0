"""Figures of a sweep: metric vs each axis (95% CI), learning-forgetting trade-off, order spread,
and scale curves (metrics against parameters or pretraining tokens, log axis).

fig = axis_figure(cells, "transform.0.factor", config_axes, ["average_forgetting"])

Each function takes the cells DataFrame (one row per cell, axis and metric columns) and
returns a `page.Figure`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure as MplFigure

from forgetlab.reports.figures_run import task_colors
from forgetlab.reports.page import Figure, render_figure, slugify
from forgetlab.reports.sweep_stats import (
    completed,
    config_label,
    config_stats,
    hashable,
    order_spread,
    pareto_front,
    short_axis,
)


def numeric(values: pd.Series) -> bool:
    return bool(pd.to_numeric(values, errors="coerce").notna().all())


def yerr(stats: pd.DataFrame) -> np.ndarray:
    """Asymmetric error bars from the CI columns (0 where the CI is undefined)."""
    low = (stats["mean"] - stats["ci_low"]).fillna(0).to_numpy(dtype=float)
    high = (stats["ci_high"] - stats["mean"]).fillna(0).to_numpy(dtype=float)
    return np.vstack([low, high])


def axis_figure(
    cells: pd.DataFrame, axis: str, config_axes: list[str], metrics: list[str]
) -> Figure:
    """One panel per metric: mean over replicates vs the axis's values, 95% CI bars; one line
    per combination of the other configuration axes."""
    others = [a for a in config_axes if a != axis]
    values = cells[axis]
    is_num = numeric(values)
    ncols = min(len(metrics), 3)
    nrows = -(-len(metrics) // ncols)
    fig = MplFigure(figsize=(3.6 * ncols + 1.8, 3.0 * nrows), layout="constrained")
    for k, metric in enumerate(metrics):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        stats = config_stats(cells, [*others, axis], metric)
        groups = list(stats.groupby(others, sort=True)) if others else [((), stats)]
        colors = task_colors(len(groups))
        # categories in the order the sweep file wrote them (the cells' order), not sorted
        cats = list(dict.fromkeys(hashable(cells, [axis])[axis].astype(str))) if not is_num else []
        for g, (key, group) in enumerate(groups):
            key = key if isinstance(key, tuple) else (key,)
            if is_num:
                group = group.assign(_x=pd.to_numeric(group[axis])).sort_values("_x")
                xs = group["_x"].to_numpy(dtype=float)
            else:
                offset = (g - (len(groups) - 1) / 2) * 0.08
                xs = np.array([cats.index(str(v)) + offset for v in group[axis]])
            label = config_label(dict(zip(others, key)), others) if others else None
            ax.errorbar(
                xs,
                group["mean"],
                yerr=yerr(group),
                fmt="-o" if is_num else "o",
                capsize=4,
                markersize=4,
                color=colors[g],
                label=label,
            )
        if is_num:
            xv = pd.to_numeric(values).to_numpy(dtype=float)
            if np.all(xv > 0) and xv.max() / xv.min() >= 50:
                ax.set_xscale("log")
        else:
            shown = [c if len(c) <= 24 else "…" + c[-23:] for c in cats]  # e.g. model paths
            ax.set_xticks(range(len(cats)), shown, rotation=20 if len(cats) > 4 else 0)
            ax.set_xlim(-0.5, len(cats) - 0.5)
        ax.set_xlabel(short_axis(axis))
        ax.set_title(metric, fontsize=10)
        ax.grid(alpha=0.3)
    if others:
        handles, labels = fig.axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, fontsize=7, loc="outside right upper")
    return render_figure(
        fig,
        f"axis_{slugify(axis)}",
        f"Each metric against {short_axis(axis)}: mean over seeds/orders with its 95% "
        "confidence interval (Student t); no bar where a point has a single replicate.",
    )


def tradeoff_figure(cells: pd.DataFrame, config_axes: list[str]) -> Figure:
    """Learning accuracy vs average forgetting, one point per configuration; Pareto front."""
    learn = config_stats(cells, config_axes, "learning_accuracy")
    forget = config_stats(cells, config_axes, "average_forgetting")
    both = (
        learn.merge(forget, on=config_axes, suffixes=("_l", "_f"))
        if config_axes
        else (learn.add_suffix("_l").join(forget.add_suffix("_f")))
    )
    both = both.dropna(subset=["mean_l", "mean_f"]).reset_index(drop=True)
    front = pareto_front(both["mean_l"].to_numpy(), both["mean_f"].to_numpy())
    fig = MplFigure(figsize=(7.2, 4.6), layout="constrained")
    ax = fig.add_subplot()
    for i, row in both.iterrows():
        xerr = [[row["mean_l"] - row["ci_low_l"]], [row["ci_high_l"] - row["mean_l"]]]
        yerr_ = [[row["mean_f"] - row["ci_low_f"]], [row["ci_high_f"] - row["mean_f"]]]
        ax.errorbar(
            row["mean_l"],
            row["mean_f"],
            xerr=np.nan_to_num(xerr),
            yerr=np.nan_to_num(yerr_),
            fmt="o",
            color="#c0504d" if front[i] else "#4472c4",
            capsize=3,
            markersize=6,
        )
        ax.annotate(
            config_label(row, config_axes),
            (row["mean_l"], row["mean_f"]),
            textcoords="offset points",
            xytext=(6, 5),
            fontsize=7,
        )
    pts = both[front].sort_values("mean_l")
    if len(pts):
        ax.plot(pts["mean_l"], pts["mean_f"], "--", color="#c0504d", label="Pareto front")
        ax.legend(fontsize=8, loc="upper left")
    ax.set_xlabel("learning accuracy (higher is better)")
    ax.set_ylabel("average forgetting (lower is better)")
    ax.grid(alpha=0.3)
    ax.set_title("learning vs forgetting, one point per configuration", fontsize=10)
    return render_figure(
        fig,
        "tradeoff",
        "Learning accuracy against average forgetting for each configuration (mean over "
        "replicates, 95% CI bars both ways). Red: on the Pareto front (no other configuration "
        "learns more and forgets less).",
    )


def order_figure(
    cells: pd.DataFrame, order_axis: str, config_axes: list[str], metrics: list[str]
) -> Figure:
    """Per configuration (a row), the metric under each task order (dots) and its range."""
    n_configs = cells.groupby(config_axes).ngroups if config_axes else 1
    fig = MplFigure(
        figsize=(3.4 * len(metrics) + 2.6, 0.32 * n_configs + 1.3), layout="constrained"
    )
    for k, metric in enumerate(metrics):
        ax = fig.add_subplot(1, len(metrics), k + 1)
        spread = order_spread(cells, order_axis, config_axes, metric)
        for i, row in spread.iterrows():
            vals = row["values"][np.isfinite(row["values"])]
            ax.hlines(i, row["min"], row["max"], color="#bbbbbb", linewidth=6)
            ax.plot(vals, np.full(vals.size, i), "o", color="#4472c4", markersize=4)
        labels = [config_label(r, config_axes) for _, r in spread.iterrows()]
        ax.set_yticks(range(len(spread)), labels if k == 0 else [""] * len(spread), fontsize=7)
        ax.set_ylim(len(spread) - 0.5, -0.5)
        ax.set_xlabel(metric)
        ax.grid(alpha=0.3, axis="x")
    return render_figure(
        fig,
        "order_sensitivity",
        "Order sensitivity: each dot is one task order (mean over seeds), the grey bar spans "
        "the best to the worst order of the same configuration.",
    )


SCALE = {"total_params": "parameters", "pretrain_tokens": "pretraining tokens"}


def determines(cells: pd.DataFrame, axis: str, x: str) -> bool:
    """Whether each value of `axis` goes with a single value of `x` (the model directory fixes
    the parameter count; the revision fixes the pretraining tokens): such an axis is the x
    axis itself, not a line of its own."""
    return bool((hashable(cells, [axis]).groupby(axis, dropna=False)[x].nunique() <= 1).all())


def scale_lines(cells: pd.DataFrame, x: str, config_axes: list[str]) -> list[str]:
    """The columns that make separate lines on a curve against `x`: the configuration axes
    that `x` does not determine, and the architecture when several are mixed."""
    lines = [a for a in config_axes if not determines(cells, a, x)]
    if "family" in cells and cells["family"].nunique() > 1:
        lines.append("family")  # e.g. Transformer vs LSTM vs MoE rungs
    return lines


def scale_figure(cells: pd.DataFrame, x: str, config_axes: list[str], metrics: list[str]) -> Figure:
    """One panel per metric against the model's parameters or pretraining tokens (log axis;
    symmetric-log when 0 tokens, the untrained model, is among them): mean over replicates with
    its 95% CI, one line per combination of the other configuration axes."""
    done = completed(cells)
    done = done[pd.to_numeric(done[x], errors="coerce").notna()].copy()
    done[x] = pd.to_numeric(done[x])
    lines = scale_lines(done, x, config_axes)
    ncols = min(len(metrics), 3)
    nrows = -(-len(metrics) // ncols)
    fig = MplFigure(figsize=(3.6 * ncols + 1.8, 3.0 * nrows), layout="constrained")
    xs_all = done[x].to_numpy(dtype=float)
    for k, metric in enumerate(metrics):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        stats = config_stats(done, [*lines, x], metric)
        groups = list(stats.groupby(lines, sort=True)) if lines else [((), stats)]
        colors = task_colors(len(groups))
        for g, (key, group) in enumerate(groups):
            key = key if isinstance(key, tuple) else (key,)
            group = group.sort_values(x)
            ax.errorbar(
                group[x].to_numpy(dtype=float),
                group["mean"],
                yerr=yerr(group),
                fmt="-o",
                capsize=4,
                markersize=4,
                color=colors[g],
                label=config_label(dict(zip(lines, key)), lines) if lines else None,
            )
        positive = xs_all[xs_all > 0]
        if len(positive) and (xs_all <= 0).any():
            ax.set_xscale("symlog", linthresh=float(positive.min()))
        elif len(positive):
            ax.set_xscale("log")
        ax.set_xlabel(SCALE.get(x, x) + (" (log)" if len(positive) else ""))
        ax.set_title(metric, fontsize=10)
        ax.grid(alpha=0.3)
    if lines:
        handles, labels = fig.axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, fontsize=7, loc="outside right upper")
    what = SCALE.get(x, x)
    return render_figure(
        fig,
        "scale_params" if x == "total_params" else "scale_tokens",
        f"Each metric against the model's {what} (log axis"
        + ("; 0 tokens, the untrained model, on a linear stretch" if x == "pretrain_tokens" else "")
        + "): mean over seeds/orders with its 95% confidence interval (Student t).",
    )
