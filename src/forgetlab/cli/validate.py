"""`forgetlab validate SPEC`: resolve every name and format one example per task."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from forgetlab.spec import load_spec


def validate_cmd(
    spec: Path = typer.Argument(None, help="experiment TOML (default: the built-in quickstart)"),
    set_: list[str] = typer.Option([], "--set", help="override a field: --set train.lr=3e-5"),
) -> None:
    """Check a spec and its data without loading a model."""
    from forgetlab.validate import validate

    resolved = load_spec(spec, set_)
    report = validate(resolved)
    s = report.stream
    table = Table(title=f"{s.name}: {s.scenario}, {len(s.tasks)} tasks, {s.num_classes} classes")
    for col in ("task", "classes", "train", "test", f"first example ({report.mode})"):
        table.add_column(col, overflow="fold")
    for task, (_, example) in zip(s.tasks, report.examples):
        table.add_row(
            task.name,
            str(len(task.classes)),
            str(len(task.train)),
            str(len(task.test)),
            example.replace("\n", "\\n"),
        )
    console = Console()
    console.print(table)
    from forgetlab.validate import label_token_lines

    for line in label_token_lines(report.label_tokens):
        console.print(line, markup=False)
    if report.model_note:
        console.print(f"[yellow]note:[/yellow] {report.model_note}", highlight=False)
    strategies = ", ".join(x.kind for x in resolved.strategy)
    console.print(
        f"model {resolved.model.name!r} ({report.model_source}), strategy {strategies}: ok"
    )
