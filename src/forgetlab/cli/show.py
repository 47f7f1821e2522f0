"""Print a run's accuracy matrix and metrics as tables; `forgetlab show RUN` reprints them
(and the probing summary, when the run was probed) for a finished run."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from forgetlab.runs.schema import ResultsFile


def cell_marks(results: ResultsFile) -> list[list[str]] | None:
    """Marks of the rows [initial, stage 0, ...] (see `metrics.baselines.cell_marks`), or
    None for results written before baselines were recorded."""
    from forgetlab.metrics.baselines import cell_marks as marks

    base = results.baselines
    if base is None:
        return None
    rows = [results.initial_accuracy, *results.accuracy_matrix]
    return marks(rows, [base.initial_chance, *base.chance], base.majority)


def show_results(results: ResultsFile, run_dir: Path, console: Console | None = None) -> None:
    console = console or Console()
    m = results.model
    console.print(
        f"model {m.name} ({m.mode}): {m.trainable_params:,} of {m.total_params:,} parameters "
        f"trainable ({m.trainable_fraction:.2%}); method {results.method}, "
        f"strategy {'+'.join(results.strategies)}"
    )
    marks = cell_marks(results)
    title = "accuracy matrix R\\[i]\\[j]: row = after stage i, column = task j"
    if marks is not None:
        title += "; * at or below chance, ° at or below the majority class"
    table = Table(title=title)
    table.add_column("after", style="bold")
    for j in range(len(results.tasks)):
        table.add_column(f"task {j}", justify="right")

    def cell(i: int, j: int, a: float) -> str:
        mark = (marks[i + 1][j] or " ") if marks is not None else ""
        text = f"{a:.3f}{mark}"
        return f"[bold]{text}[/bold]" if i == j else text

    table.add_row(
        "initial", *(cell(-1, j, a) for j, a in enumerate(results.initial_accuracy)), style="dim"
    )
    for i, row in enumerate(results.accuracy_matrix):
        table.add_row(f"stage {i}", *(cell(i, j, a) for j, a in enumerate(row)))
    if results.baselines is not None:
        base = results.baselines
        last = base.chance[-1] if base.chance else []
        table.add_row("chance (last)", *(f"{c:.3f} " for c in last), style="dim")
        table.add_row("majority", *(f"{m:.3f} " for m in base.majority), style="dim")
    console.print(table)
    labels = results.task_classes or [[] for _ in results.tasks]
    for j, (task, names) in enumerate(zip(results.tasks, labels)):
        shown = f" ({escape(', '.join(names))})" if names else ""
        console.print(f"  task {j}: {escape(task)}{shown}", highlight=False)
    metrics = Table(title="metrics")
    metrics.add_column("metric")
    metrics.add_column("value", justify="right")
    metrics.add_column("note")
    notes = results.metric_notes or {}
    for name, value in results.metrics.items():
        shown = "n/a" if value is None else f"{value:.3f}"
        metrics.add_row(name, shown, escape(notes.get(name, "")))
    console.print(metrics)
    from forgetlab.cli.show_extras import show_extras

    show_extras(results, console)  # exact-match matrix, warnings
    console.print(f"wall time {results.wall_time_s:.1f} s; results in [bold]{run_dir}[/bold]")


def _ci(entry: dict) -> str:
    mean, low, high = entry.get("mean"), entry.get("ci95_low"), entry.get("ci95_high")
    if mean is None:
        return "n/a"
    return f"{mean:.3f}" if low is None else f"{mean:.3f} [{low:.3f}, {high:.3f}]"


def show_seeds(summary: dict, root: Path, console: Console | None = None) -> None:
    """The summary of a multi-seed run: every metric's mean and 95% interval, per-seed values."""
    console = console or Console()
    seeds = summary.get("seeds", [])
    mean_R = (summary.get("accuracy_matrix") or {}).get("mean") or []
    table = Table(title=f"mean accuracy matrix over {len(seeds)} seeds {seeds}")
    table.add_column("after", style="bold")
    for j in range(len(summary.get("tasks", []))):
        table.add_column(f"task {j}", justify="right")
    for i, row in enumerate(mean_R):
        table.add_row(f"stage {i}", *("n/a" if v is None else f"{v:.3f}" for v in row))
    console.print(table)
    metrics = Table(title="metrics: mean [95% t interval] over seeds")
    for col in ("metric", "mean [95% CI]", "per seed", "note"):
        metrics.add_column(col, justify="left" if col in ("metric", "note") else "right")
    notes = summary.get("metric_notes") or {}
    for name, entry in (summary.get("metrics") or {}).items():
        values = " ".join("n/a" if v is None else f"{v:.3f}" for v in entry.get("values", []))
        metrics.add_row(name, _ci(entry), values, escape(notes.get(name, "")))
    console.print(metrics)
    console.print(f"runs and summary in [bold]{root}[/bold] (seeds.json, report.html)")


EPILOG = "Examples:  forgetlab show runs/seq/20261121-101010  |  forgetlab show runs/exp-3seeds"


def show_cmd(
    run_dir: Path = typer.Argument(..., help="a run directory (or the folder of a --seeds run)"),
) -> None:
    """Reprint a finished run: its accuracy matrix, metrics with their notes and, when the run
    was probed, the probing summary (P against R)."""
    from forgetlab.runs.loading import load_run
    from forgetlab.seeds import SUMMARY

    console = Console()
    seeds = Path(run_dir) / SUMMARY
    if seeds.is_file() and not (Path(run_dir) / "results.json").is_file():
        show_seeds(_read_json(seeds), Path(run_dir), console)
        return
    run = load_run(run_dir)
    if run.results.status != "complete":
        console.print(
            f"[yellow]run status: {run.results.status}[/yellow]; "
            f"{len(run.results.accuracy_matrix)} of {len(run.tasks)} stages done"
        )
    show_results(run.results, run.run_dir, console)
    show_probing(run.run_dir, console)


def show_probing(run_dir: Path, console: Console) -> None:
    """The probing summary of a probed run (in its results, or `forgetlab probe`'s
    probing/probing.json); nothing when the run was not probed."""
    from forgetlab.probing.summary import probing_summary
    from forgetlab.reports.run_data import load_run as load_run_data

    data = load_run_data(run_dir)
    probing = data.probing
    if not probing:
        return
    where = "results.json" if data.results.get("probing") else "probing/probing.json"
    console.print(f"[bold]probing[/bold] (from {where})")
    console.print(escape(probing_summary(probing, data.results.get("accuracy_matrix"))))


def _read_json(path: Path) -> dict:
    import json

    from forgetlab.errors import RunDirError

    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise RunDirError(f"{str(path)!r} is not readable JSON: {e}") from None
