"""`forgetlab infer --model M --suspect A.jsonl --validation B.jsonl [--out DIR]`: dataset
inference (was M trained on A?), with B held-out data of the same distribution."""

from __future__ import annotations

from pathlib import Path

import typer

EPILOG = (
    "Examples:  forgetlab infer --model runs/ft/model --suspect a.jsonl --validation b.jsonl "
    "--out di  |  ... --reference runs/ft/base  |  forgetlab infer --model M --validation "
    "b.jsonl --false-positive (two halves of B: must not be significant)"
)


def infer_cmd(
    model: str = typer.Option(..., "--model", help="registered name, local directory or hub id"),
    suspect: Path = typer.Option(None, "--suspect", help="JSONL with 'text' (+ 'label')"),
    validation: Path = typer.Option(..., "--validation", help="held-out JSONL, never trained on"),
    adapter: Path = typer.Option(None, "--adapter", help="a peft adapter directory on M"),
    reference: str = typer.Option(None, "--reference", help="a reference causal LM (e.g. base)"),
    out: Path = typer.Option(None, "--out", help="output folder (default runs/infer/TIMESTAMP)"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace an existing --out"),
    alpha: float = typer.Option(0.05, "--alpha", help="significance level of the verdict"),
    seed: int = typer.Option(0, "--seed", help="seed of the splits and perturbations"),
    sizes: list[int] = typer.Option(
        None, "--size", help="examples per set in the test; repeat (default 10 20 50 ... 500)"
    ),
    splits: int = typer.Option(10, "--splits", help="random splits per size"),
    false_positive: bool = typer.Option(
        False, "--false-positive", help="test two halves of --validation against each other"
    ),
    init_seed: int = typer.Option(0, "--init-seed", help="seed of a random-init registered M"),
) -> None:
    """Dataset inference: was the model trained on the suspect set? Writes results.json,
    features.csv and report.html; prints the verdict."""
    from forgetlab.inference.api import infer

    res = infer(
        model,
        suspect,
        validation,
        adapter=adapter,
        reference=reference,
        out=out,
        overwrite=overwrite,
        alpha=alpha,
        seed=seed,
        sizes=sizes or None,
        splits=splits,
        false_positive=false_positive,
        init_seed=init_seed,
    )
    typer.echo(res.verdict)
    typer.echo(f"results in {res.out} (results.json, features.csv, report.html)")
