"""Print a run's accuracy matrix and metrics as tables."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from forgetlab.runs.schema import ResultsFile


def show_results(results: ResultsFile, run_dir: Path, console: Console | None = None) -> None:
    console = console or Console()
    m = results.model
    console.print(
        f"model {m.name} ({m.mode}): {m.trainable_params:,} of {m.total_params:,} parameters "
        f"trainable ({m.trainable_fraction:.2%}); method {results.method}, "
        f"strategy {'+'.join(results.strategies)}"
    )
    table = Table(title="accuracy matrix R\\[i]\\[j]: row = after stage i, column = task j")
    table.add_column("after", style="bold")
    for j in range(len(results.tasks)):
        table.add_column(f"task {j}", justify="right")
    table.add_row("initial", *(f"{a:.3f}" for a in results.initial_accuracy), style="dim")
    for i, row in enumerate(results.accuracy_matrix):
        table.add_row(
            f"stage {i}",
            *(f"[bold]{a:.3f}[/bold]" if i == j else f"{a:.3f}" for j, a in enumerate(row)),
        )
    console.print(table)
    for j, task in enumerate(results.tasks):
        console.print(f"  task {j}: {task}")
    metrics = Table(title="metrics")
    metrics.add_column("metric")
    metrics.add_column("value", justify="right")
    for name, value in results.metrics.items():
        metrics.add_row(name, "n/a" if value is None else f"{value:.3f}")
    console.print(metrics)
    console.print(f"wall time {results.wall_time_s:.1f} s; results in [bold]{run_dir}[/bold]")
