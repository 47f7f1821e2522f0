"""The report of a sweep: every metric along every axis with 95% CIs, the learning-forgetting
trade-off with its Pareto front, and how much the task order matters.

page = sweep_page(cells, axes=["transform.0.factor", "seed"])     # a hand-built DataFrame works
path = write_sweep_report(Path("runs/sweeps/dup"))               # SWEEP_DIR/report.html

`cells` has one row per cell: the axis columns (dotted spec paths, `seed`, `order`), `status`,
`run_dir` and metric columns (average_accuracy, average_forgetting, learning_accuracy, bwt,
fwt; heldout_ppl for pretraining sweeps), and optionally `total_params`, `pretrain_tokens` and
`family` (results.json `model`). Sections (anchors): axes, scale (when the cells' parameter
counts or pretraining tokens differ), tradeoff, order (with an order axis), summary, cells.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from forgetlab.errors import ForgetlabError, RunDirError
from forgetlab.output_paths import check_report_file
from forgetlab.reports.figures_sweep import (
    SCALE,
    axis_figure,
    order_figure,
    scale_figure,
    tradeoff_figure,
)
from forgetlab.reports.page import Link, Page, Section, Table, Text, fmt, write_pages
from forgetlab.reports.sweep_stats import (
    METRICS,
    SCALE_METRICS,
    completed,
    config_label,
    config_stats,
    is_order,
    is_replicate,
    order_spread,
    short_axis,
)

NOT_AXES = {
    "cell",
    "status",
    "run_dir",
    "error",
    "seconds",
    "wall_time_s",
    *METRICS,
    *SCALE,
    "family",
}


def infer_axes(cells: pd.DataFrame) -> list[str]:
    """Axis columns when the caller gives none: dotted spec paths, seed and order."""
    return [c for c in cells.columns if c not in NOT_AXES and ("." in c or is_replicate(c))]


def axis_name(axis) -> str:
    """An axis as its column name: a string, or an object with `.path` / `.name`."""
    return axis if isinstance(axis, str) else str(getattr(axis, "path", None) or axis.name)


def summary_table(cells: pd.DataFrame, config_axes: list[str], metrics: list[str]) -> Table:
    stats = {m: config_stats(cells, config_axes, m) for m in metrics}
    base = stats[metrics[0]]
    rows = []
    for i, row in base.iterrows():
        cells_ = [config_label(row, config_axes), str(int(row["n"]))]
        for m in metrics:
            s = stats[m].iloc[i]
            half = (s["ci_high"] - s["ci_low"]) / 2
            cells_.append(fmt(s["mean"]) + ("" if pd.isna(half) else f" ± {half:.3f}"))
        rows.append(cells_)
    return Table(
        ["configuration", "n", *metrics],
        rows,
        "mean ± half-width of the 95% confidence interval over seeds and orders",
    )


def cells_table(cells: pd.DataFrame, axes: list[str], metrics: list[str], link_base) -> Table:
    rows = []
    for _, c in cells.iterrows():
        name: str | Link = str(c.get("cell", ""))
        run_dir = c.get("run_dir")
        if link_base is not None and isinstance(run_dir, str) and run_dir:
            report = Path(run_dir) / "report.html"
            if report.is_file():
                name = Link(name, os.path.relpath(report, link_base))
        row = [name, str(c.get("status", ""))]
        row += [str(c[a]) for a in axes] + [fmt(c.get(m)) for m in metrics]
        if "error" in cells:
            row.append("" if pd.isna(c.get("error")) else str(c["error"])[:160])
        rows.append(row)
    header = ["cell", "status", *[short_axis(a) for a in axes], *metrics]
    return Table(header + (["error"] if "error" in cells else []), rows, "every cell")


def scale_section(done: pd.DataFrame, config_axes: list[str], metrics: list[str]):
    """Metrics against parameters and against pretraining tokens, for the x columns whose
    values differ between the finished cells; None when neither does."""
    shown = [m for m in SCALE_METRICS if m in metrics]
    figs = [
        scale_figure(done, x, config_axes, shown)
        for x in SCALE
        if x in done and pd.to_numeric(done[x], errors="coerce").dropna().nunique() > 1
    ]
    if not figs or not shown:
        return None
    return Section("scale", "Scale: parameters and pretraining tokens", figs)


def sweep_page(
    cells: pd.DataFrame,
    axes: list[str],
    title: str = "sweep",
    link_base: Path | None = None,
) -> Page:
    """The sweep report's sections from the cells table and its axis names."""
    missing = [a for a in axes if a not in cells]
    if missing:
        raise ForgetlabError(f"sweep cells table lacks axis column(s) {missing}")
    metrics = [m for m in METRICS if m in cells and cells[m].notna().any()]
    config_axes = [a for a in axes if not is_replicate(a)]
    order_axes = [a for a in axes if is_order(a)]
    done = completed(cells)
    sections = []
    if metrics and config_axes:
        figs = [axis_figure(cells, a, config_axes, metrics) for a in config_axes]
        sections.append(Section("axes", "Metrics along each axis", figs))
    elif metrics:
        sections.append(
            Section(
                "axes",
                "Metrics along each axis",
                [Text("No axis besides seeds and orders: see the summary table.")],
            )
        )
    scale = scale_section(done, config_axes, metrics)
    if scale is not None:
        sections.append(scale)
    if {"learning_accuracy", "average_forgetting"} <= set(metrics):
        sections.append(
            Section(
                "tradeoff", "Learning-forgetting trade-off", [tradeoff_figure(cells, config_axes)]
            )
        )
    if order_axes and metrics:
        order_metrics = [m for m in ("average_accuracy", "average_forgetting") if m in metrics]
        spread = order_spread(cells, order_axes[0], config_axes, order_metrics[0])
        rows = [
            [
                config_label(r, config_axes),
                str(r["orders"]),
                fmt(r["mean"]),
                fmt(r["std"]),
                fmt(r["min"]),
                fmt(r["max"]),
                fmt(r["range"]),
            ]
            for _, r in spread.iterrows()
        ]
        table = Table(
            ["configuration", "orders", "mean", "std over orders", "min", "max", "range"],
            rows,
            f"{order_metrics[0]} under each task order (mean over seeds first)",
        )
        fig = order_figure(cells, order_axes[0], config_axes, order_metrics)
        sections.append(Section("order", "Order sensitivity", [fig, table]))
    if metrics:
        sections.append(Section("summary", "Summary", [summary_table(cells, config_axes, metrics)]))
    sections.append(Section("cells", "Cells", [cells_table(cells, axes, metrics, link_base)]))
    failed = len(cells) - len(done)
    subtitle = f"{len(cells)} cells ({len(done)} complete, {failed} not) · axes: " + ", ".join(
        short_axis(a) for a in axes
    )
    return Page(f"forgetlab sweep: {title}", subtitle, sections)


def sweep_name(sweep_dir: Path) -> str:
    """The sweep's `name` (cells.json), else its folder's name."""
    from forgetlab.sweeps.index import read_index

    try:
        return read_index(sweep_dir).name or sweep_dir.name
    except (RunDirError, OSError):
        return sweep_dir.name


def load_sweep_page(sweep_dir: str | Path, link_base: Path, slug: str = "") -> Page:
    """Load SWEEP_DIR with `forgetlab.load_sweep` (ForgetlabError if absent) into its Page."""
    try:
        from forgetlab import load_sweep
    except ImportError:
        raise ForgetlabError(
            "sweep reports need forgetlab.load_sweep (the sweeps package), not in this install"
        ) from None
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise RunDirError(f"sweep directory {str(sweep_dir)!r} not found")
    sweep = load_sweep(sweep_dir)
    cells = sweep.cells
    axes = [axis_name(a) for a in getattr(sweep, "axes", None) or infer_axes(cells)]
    for replicate in ("seed", "order"):  # load_sweep lists them as columns, not axes
        if replicate in cells and replicate not in axes and cells[replicate].notna().any():
            axes.append(replicate)
    page = sweep_page(cells, axes, title=sweep_name(sweep_dir), link_base=link_base)
    page.slug = slug
    return page


def write_sweep_report(sweep_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write SWEEP_DIR/report.html (or `out`) and its PNGs under figures/; return the path."""
    out = Path(out) if out else Path(sweep_dir) / "report.html"
    check_report_file(out, sources=[Path(sweep_dir)])
    return write_pages([load_sweep_page(sweep_dir, out.parent)], out)
