"""Parts of a run's summary beyond R and the metrics: the exact-match matrix (when
`eval.exact_match` computed it) and the run's warnings."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from forgetlab.runs.schema import ResultsFile


def exact_match_matrix(results: ResultsFile) -> list[list[float]] | None:
    """[stage][task] exact-match accuracy of greedy generation, or None when not computed."""
    rows = [getattr(s, "exact_match", None) for s in results.stages]
    return rows if rows and all(r is not None for r in rows) else None


def show_extras(results: ResultsFile, console: Console, warnings: bool = False) -> None:
    """The exact-match matrix when computed; the warnings too with `warnings` (a run logs
    them as they arise, so its own summary leaves them out)."""
    M = exact_match_matrix(results)
    if M is not None:
        table = Table(title="exact-match matrix: greedy generation equals the label")
        table.add_column("after", style="bold")
        for j in range(len(results.tasks)):
            table.add_column(f"task {j}", justify="right")
        for i, row in enumerate(M):
            cells = [f"[bold]{a:.3f}[/bold]" if i == j else f"{a:.3f}" for j, a in enumerate(row)]
            table.add_row(f"stage {i}", *cells)
        console.print(table)
    for w in results.warnings if warnings else ():
        console.print(f"[yellow]warning:[/yellow] {escape(w)}")
