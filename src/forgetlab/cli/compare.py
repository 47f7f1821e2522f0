"""`forgetlab compare RUN_A RUN_B ... [--out FILE] [--csv FILE]`: metrics side by side, Δ vs
the first run, each column headed by the spec values that differ (`strategy=ewc`)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from forgetlab.errors import RunDirError
from forgetlab.output_paths import check_report_file

EPILOG = (
    "Example:  forgetlab compare runs/seq runs/ewc runs/er --out compare.html --csv compare.csv"
)


def compare_cmd(
    runs: list[Path] = typer.Argument(..., help="run directories; the first is the reference"),
    out: Path = typer.Option(None, "--out", help="also write an HTML page with the matrices"),
    csv: Path = typer.Option(
        None, "--csv", help="also write a CSV: a row per run, its differing spec values, metrics"
    ),
) -> None:
    """Print the runs' metrics side by side with their differences from the first run; each
    column is headed by the spec values that differ between the runs."""
    from forgetlab.reports.compare import (
        UNSET,
        column_heads,
        compare_metrics,
        differing_values,
        fmt_number,
        metric_notes,
        write_compare_csv,
        write_compare_report,
    )
    from forgetlab.reports.run_data import load_run

    if len(runs) < 2:
        raise RunDirError("compare needs at least two run directories")
    loaded = [load_run(r) for r in runs]
    if out is not None:
        check_report_file(out)  # before printing or writing anything
    if csv is not None:
        check_table_file(csv)
    heads = column_heads(loaded)
    table = compare_metrics(loaded, heads)
    shown = Table(title=f"metrics (Δ k = run k minus run 1; {UNSET} = not set)")
    shown.add_column("metric", no_wrap=True)
    n = len(loaded)
    for k, head in enumerate(heads, start=1):
        shown.add_column(f"run {k}\n{escape(head)}", justify="right")
    for k in range(2, n + 1):
        shown.add_column(f"Δ {k}", justify="right", style="cyan")
    for name, row in table.iterrows():
        values = [fmt_number(name, v, delta=c >= n) for c, v in enumerate(row)]
        shown.add_row(name, *values)
    console = Console()
    console.print(shown)
    labels = [r.label for r in loaded]
    for k, (label, path, pairs) in enumerate(zip(labels, runs, differing_values(loaded)), 1):
        spec = ", ".join(f"{key}={v}" for key, v in pairs)
        console.print(f"  run {k}: {escape(label)}  [dim]{path}[/dim]", highlight=False)
        if spec:
            console.print(f"         {escape(spec)}", highlight=False)
    for label, name, note in metric_notes(loaded):
        console.print(f"  note ({label}) {name}: {escape(note)}")
    if csv is not None:
        typer.echo(f"csv: {write_compare_csv(loaded, csv)}")
    if out is not None:
        typer.echo(f"report: {write_compare_report(loaded, out)}")


def check_table_file(path: Path) -> Path:
    """A CSV to write: not a directory, named .csv, outside every run and sweep directory."""
    from forgetlab.output_paths import check_writable, enclosing_run

    if path.is_dir():
        raise RunDirError(f"--csv {str(path)!r} is a directory; name a file (e.g. compare.csv)")
    if path.suffix.lower() != ".csv":
        raise RunDirError(f"--csv {str(path)!r}: end the name in .csv")
    run = enclosing_run(path)
    if run is not None:
        raise RunDirError(
            f"--csv {str(path)!r} is inside the run directory {str(run)!r}; write it elsewhere"
        )
    check_writable(path.parent, "--csv", shown=path)
    return path
