"""`forgetlab report RUN_OR_SWEEP_DIR... [--out FILE]`: write self-contained HTML reports."""

from __future__ import annotations

from pathlib import Path

import typer

EPILOG = (
    "Examples:  forgetlab report runs/quickstart/20261121-101010  |  "
    "forgetlab report runs/sweeps/dup --out dup.html  |  "
    "forgetlab report runs/a runs/b --out both.html (one page, a section per run)"
)


def report_cmd(
    dirs: list[Path] = typer.Argument(..., help="run or sweep directories"),
    out: Path = typer.Option(
        None, "--out", help="HTML file (default DIR/report.html; several DIRs: one page)"
    ),
) -> None:
    """Write report.html (figures embedded; PNGs in figures/) for runs and sweeps."""
    from forgetlab.reports.dispatch import write_reports

    for path in write_reports(dirs, out):
        typer.echo(f"report: {path}")
