"""`forgetlab probe RUN_DIR` and `forgetlab probe-checkpoints SPEC --checkpoint A --checkpoint B`.

forgetlab probe runs/seq/20261121-120000 --set probe.layers=[-1]
forgetlab probe-checkpoints exp.toml --checkpoint ckpts/step1000 --checkpoint ckpts/step2000
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

PROBE_EPILOG = (
    "Examples:  forgetlab probe runs/seq/RUN  |  forgetlab probe runs/seq/RUN "
    '--set probe.probes=["linear"] --out probes/seq'
)
CKPT_EPILOG = (
    "Example:  forgetlab probe-checkpoints exp.toml --checkpoint ckpts/step1000 "
    "--checkpoint ckpts/step2000 --out probes/pretraining   (hub models: --checkpoint REVISION; "
    "a forgetlab pretrain run as model.name: --checkpoint tokens=N)"
)


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


def probe_cmd(
    run_dir: Path = typer.Argument(..., help="a finished run directory with checkpoints"),
    out: Path = typer.Option(None, "--out", help="output folder (default RUN_DIR/probing)"),
    set_: list[str] = typer.Option([], "--set", help="override a field: --set probe.layers=[-1]"),
) -> None:
    """Probe every saved stage of a finished run (P, baseline P0, gaps, CKA, geometry)."""
    from forgetlab.probing.offline import probe_run
    from forgetlab.probing.summary import probing_summary

    report = probe_run(run_dir, out, set_)
    res, console = report.results, Console()
    primary = "linear" if "linear" in res.probes else res.probes[0]
    table = Table(
        title=f"probe accuracy P ({primary}, layer {res.layers[-1]}); (baseline P0: untrained)"
    )
    table.add_column("after", style="bold")
    for j in range(len(res.accuracy_matrix[0]) if res.accuracy_matrix else 0):
        table.add_column(f"task {j}", justify="right")
    P0 = res.by_probe[primary].baseline_accuracy_matrix
    for i in report.stages:
        cells = [
            f"{_fmt(p)} ({_fmt(b)})" if p is not None else "-"
            for p, b in zip(res.accuracy_matrix[i], P0[i])
        ]
        table.add_row(f"stage {i}", *cells)
    console.print(table)
    for kind, r in res.by_probe.items():
        i = report.stages[-1]
        seen = [
            (p, b)
            for p, b in zip(r.accuracy_matrix[i], r.baseline_accuracy_matrix[i])
            if p is not None
        ]
        mean_p = sum(p for p, _ in seen) / len(seen)
        mean_b = sum(b for _, b in seen if b is not None) / len(seen)
        console.print(f"  {kind:<17} after stage {i}: mean P {mean_p:.3f}, P0 {mean_b:.3f}")
    console.print(probing_summary(res, report.R), highlight=False)
    for line in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {line}")
    if report.missing:
        console.print(
            f"stages {report.missing} have no checkpoint (train.checkpoint = 'last'?): "
            "their rows are null"
        )
    console.print(f"results in [bold]{report.out}[/bold] (probing.json, probing.csv)")
    if Path(report.out).resolve() == (Path(run_dir) / "probing").resolve():
        from forgetlab.reports.run_report import write_run_report

        page = write_run_report(run_dir)  # the run's report now shows the probing section
        console.print(f"report refreshed: [bold]{page}[/bold]")


def probe_checkpoints_cmd(
    spec: Path = typer.Argument(..., help="experiment TOML: the model and the tasks"),
    checkpoint: list[str] = typer.Option(
        ..., "--checkpoint", help="a local model directory or a hub revision; repeat, in order"
    ),
    out: Path = typer.Option(..., "--out", help="output folder"),
    set_: list[str] = typer.Option([], "--set", help="override a field: --set probe.layers=[-1]"),
) -> None:
    """Probe checkpoints of one model (e.g. along pretraining) on a spec's tasks, untrained."""
    from forgetlab.probing.offline import probe_checkpoints
    from forgetlab.spec import load_spec

    res = probe_checkpoints(load_spec(spec, set_), checkpoint, out)
    table = Table(title=f"mean probe accuracy over tasks (last layer {res.layers[-1]})")
    table.add_column("checkpoint", style="bold")
    for kind in res.probes:
        table.add_column(kind, justify="right")
    table.add_column("zero-shot", justify="right")
    for c, name in enumerate(res.checkpoints):
        means = [sum(res.last_layer_accuracy[k][c]) / len(res.tasks) for k in res.probes]
        zs = res.zero_shot_accuracy[c] if res.zero_shot_accuracy else None
        table.add_row(
            Path(name).name or name,
            *(_fmt(m) for m in means),
            _fmt(sum(zs) / len(zs) if zs else None),
        )
    console = Console()
    console.print(table)
    console.print(f"results in [bold]{out}[/bold] (checkpoints.json, checkpoints.csv)")


def register(app: typer.Typer) -> None:
    app.command("probe", epilog=PROBE_EPILOG)(probe_cmd)
    app.command("probe-checkpoints", epilog=CKPT_EPILOG)(probe_checkpoints_cmd)
