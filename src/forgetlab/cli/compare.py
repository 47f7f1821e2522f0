"""`forgetlab compare RUN_A RUN_B ... [--out FILE]`: metrics side by side, Δ vs the first run."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from forgetlab.errors import RunDirError
from forgetlab.output_paths import check_report_file

EPILOG = "Example:  forgetlab compare runs/seq runs/ewc runs/er --out compare.html"


def compare_cmd(
    runs: list[Path] = typer.Argument(..., help="run directories; the first is the reference"),
    out: Path = typer.Option(None, "--out", help="also write an HTML page with the matrices"),
) -> None:
    """Print the runs' metrics side by side with their differences from the first run."""
    from forgetlab.reports.compare import compare_metrics, metric_notes, write_compare_report
    from forgetlab.reports.run_data import load_run

    if len(runs) < 2:
        raise RunDirError("compare needs at least two run directories")
    loaded = [load_run(r) for r in runs]
    if out is not None:
        check_report_file(out)  # before printing or writing anything
    table = compare_metrics(loaded)
    shown = Table(title="metrics (Δ k = run k minus run 1)")
    shown.add_column("metric", no_wrap=True)
    n = len(loaded)
    for col in [f"run {k}" for k in range(1, n + 1)] + [f"Δ {k}" for k in range(2, n + 1)]:
        shown.add_column(col, justify="right", style="cyan" if col.startswith("Δ") else None)
    for name, row in table.iterrows():
        digits = 0 if name == "trainable_params" else 1 if name == "wall_time_s" else 3
        values = [f"{v:,.{digits}f}" for v in row.iloc[:n]]
        values += [f"{v:+,.{digits}f}" for v in row.iloc[n:]]
        shown.add_row(name, *(v.replace("nan", "n/a") for v in values))
    console = Console()
    console.print(shown)
    for k, (label, path) in enumerate(zip(table.columns[:n], runs), start=1):
        console.print(f"  run {k}: {label}  [dim]{path}[/dim]")
    for label, name, note in metric_notes(loaded):
        console.print(f"  note ({label}) {name}: {escape(note)}")
    if out is not None:
        typer.echo(f"report: {write_compare_report(loaded, out)}")
