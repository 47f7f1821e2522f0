"""`forgetlab run [SPEC] [--set k=v] [--out DIR] [--overwrite]` | `forgetlab run --resume DIR`."""

from __future__ import annotations

from pathlib import Path

import typer

from forgetlab.cli.show import show_results
from forgetlab.errors import SpecError
from forgetlab.spec import load_spec

EPILOG = (
    "Examples:  forgetlab run  |  forgetlab run exp.toml --set train.lr=3e-5 --set seed=1 "
    "--out runs/lr3e-5  |  forgetlab run --resume runs/lr3e-5  |  "
    "forgetlab run exp.toml --seeds 3 --out runs/exp-3seeds"
)


def run_cmd(
    spec: Path = typer.Argument(
        None, help="experiment spec, TOML or YAML (default: the quickstart)"
    ),
    set_: list[str] = typer.Option([], "--set", help="override a field: --set train.lr=3e-5"),
    out: Path = typer.Option(None, "--out", help="run directory (default runs/NAME/TIMESTAMP)"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace an existing run dir"),
    quiet: bool = typer.Option(
        False, "--quiet", help="no progress bars (the plain line per stage stays)"
    ),
    resume_dir: Path = typer.Option(
        None, "--resume", help="go on with a killed run in DIR from its last finished stage"
    ),
    seeds: int = typer.Option(
        None, "--seeds", min=1, help="run N seeds (seed .. seed+N-1) and summarise them"
    ),
    workers: int = typer.Option(1, "--workers", min=1, help="with seeds: runs at once"),
) -> None:
    """Train through a stream of tasks and write the accuracy matrix and metrics."""
    from forgetlab.experiment import resume, run

    if resume_dir is not None:
        if spec is not None or set_ or out is not None or overwrite:
            raise SpecError(
                "--resume DIR takes the spec from DIR/spec.toml; drop SPEC, --set, --out "
                "and --overwrite"
            )
        result = resume(resume_dir, progress=not quiet, narrate=True)
        if result.results is not None:  # the main process of a distributed run prints
            show_results(result.results, result.run_dir)
        return
    resolved = load_spec(spec, set_)
    if seeds is not None or resolved.seeds:
        from forgetlab.cli.show import show_seeds
        from forgetlab.seeds import run_seeds, seeds_of

        if overwrite:
            raise SpecError("--overwrite does not apply to seeds: the same --out resumes them")
        runs = run_seeds(
            resolved, seeds_of(resolved, seeds), out=out, workers=workers, progress=not quiet
        )
        show_seeds(runs.summary, runs.dir)
        if len(runs.summary.get("seeds", [])) < len(runs.seeds):
            raise SystemExit(1)  # failed seeds are in DIR/cells.json and DIR/logs/
        return
    result = run(
        resolved,
        out=out,
        overwrite=overwrite,
        progress=not quiet,
        spec_path=spec,
        narrate=True,
    )
    if result.results is not None:  # the main process of a distributed run prints
        show_results(result.results, result.run_dir)
