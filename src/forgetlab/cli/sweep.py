"""`forgetlab sweep SWEEP.toml [--backend local|ray] [--workers N] [--address ADDR] [--out DIR]
[--dry-run]`."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

EPILOG = (
    "Examples:  forgetlab sweep experiments/sweeps/duplication_seeds.toml --workers 2  |  "
    "forgetlab sweep sweep.toml --backend ray --address auto"
)
SHOWN = ("average_accuracy", "average_forgetting", "heldout_ppl", "tokens_per_s")


def _fmt(mean: float, low: float, high: float) -> str:
    if math.isnan(mean):
        return "n/a"
    if math.isnan(low):
        return f"{mean:.3f}"
    return f"{mean:.3f} [{low:.3f}, {high:.3f}]"


def show_sweep(sweep, console: Console) -> None:
    from forgetlab.reports.sweep_stats import axis_value_text

    g = sweep.grouped
    shown = [m for m in SHOWN if m in sweep.metrics]
    table = Table(title=f"{len(sweep.cells)} cells; mean [95% CI] over seeds and orders")
    for col in (*sweep.axes, "cells", *shown):
        table.add_column(col, justify="right")
    for row in g.to_dict("records"):
        values = [axis_value_text(row[a]) for a in sweep.axes] + [str(row["cells"])]
        values += [
            _fmt(row[f"{m}_mean"], row[f"{m}_ci95_low"], row[f"{m}_ci95_high"]) for m in shown
        ]
        table.add_row(*values)
    console.print(table)
    failed = sweep.cells[sweep.cells["status"] == "failed"]
    if len(failed):
        from forgetlab.sweeps.index import read_index

        errors = {c.cell: c.error for c in read_index(sweep.dir).cells}
        for cell in failed["cell"]:
            console.print(f"[red]failed[/red] {cell}: {errors[cell]}", markup=True, highlight=False)
    console.print(f"tables in [bold]{sweep.dir}[/bold] (summary.csv, grouped.csv)")


def show_plan(plan, console: Console) -> None:
    """The cells a sweep would run (all validated), without running any."""
    from forgetlab.sweeps.plan import describe

    for cell in plan.cells:
        console.print(describe(cell), highlight=False)
    console.print(
        f"{plan.spec.name}: {len(plan.cells)} {plan.spec.kind} cells, all valid "
        "(dry run: nothing was run or written)",
        highlight=False,
    )


def sweep_cmd(
    sweep_file: Path = typer.Argument(..., help="sweep TOML (base spec, axes, seeds, orders)"),
    backend: str = typer.Option(None, "--backend", help="local (process pool) or ray"),
    workers: int = typer.Option(None, "--workers", help="cells at once (local) / Ray CPUs"),
    address: str = typer.Option(None, "--address", help="Ray cluster address (default: start one)"),
    out: Path = typer.Option(None, "--out", help="sweep directory (default runs/sweeps/NAME)"),
    quiet: bool = typer.Option(False, "--quiet", help="no progress bar"),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="validate every cell (names, data, sizes) and list them; run none"
    ),
) -> None:
    """Run a grid of experiments (axes x seeds x task orders); failed cells are recorded."""
    from forgetlab.sweeps import load_sweep_spec, plan_sweep, run_sweep

    given = {"kind": backend, "workers": workers, "address": address}
    spec = load_sweep_spec(sweep_file, backend={k: v for k, v in given.items() if v is not None})
    if dry_run:
        show_plan(plan_sweep(spec), Console())
        return
    sweep = run_sweep(spec, out=out, progress=not quiet)
    show_sweep(sweep, Console())
    if (sweep.cells["status"] == "failed").any():
        sys.exit(1)  # the failed cells are listed above; a re-run retries them
