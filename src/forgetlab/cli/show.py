"""Print a run's accuracy matrix and metrics as tables."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from forgetlab.runs.schema import RunResults


def _short(name: str, width: int = 18) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def show_results(results: RunResults, run_dir: Path, console: Console | None = None) -> None:
    console = console or Console()
    m = results.model
    console.print(
        f"model {m.name} ({m.mode}): {m.trainable_params:,} of {m.total_params:,} parameters "
        f"trainable ({m.trainable_fraction:.1%}); strategy {'+'.join(results.strategies)}"
    )
    table = Table(title="accuracy matrix R[i][j]: rows = after stage i, columns = task j")
    table.add_column("after", style="bold")
    for j, task in enumerate(results.tasks):
        table.add_column(f"{j}: {_short(task)}", justify="right")
    table.add_row("initial", *(f"{a:.3f}" for a in results.initial_accuracy), style="dim")
    for i, row in enumerate(results.accuracy_matrix):
        table.add_row(
            f"stage {i}",
            *(f"[bold]{a:.3f}[/bold]" if i == j else f"{a:.3f}" for j, a in enumerate(row)),
        )
    console.print(table)
    metrics = Table(title="metrics")
    metrics.add_column("metric")
    metrics.add_column("value", justify="right")
    for name, value in results.metrics.items():
        metrics.add_row(name, "n/a" if value is None else f"{value:.3f}")
    console.print(metrics)
    console.print(f"wall time {results.wall_time_s:.1f} s; results in [bold]{run_dir}[/bold]")
