"""`forgetlab audit BASE [TUNED] [--adapter DIR] [--suite default|FILE] [--out DIR]`.

forgetlab audit Qwen/Qwen2.5-0.5B runs/qwen-lora/20261201-1200 --out audits/qwen-lora
forgetlab audit EleutherAI/pythia-410m --adapter runs/p/RUN/checkpoints/last/adapter
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

EPILOG = (
    "Examples:  forgetlab audit tiny-gpt2 runs/seq/RUN --out audits/seq  |  forgetlab audit "
    "Qwen/Qwen2.5-0.5B --adapter runs/q/RUN/checkpoints/last/adapter --suite suite.toml"
)


def audit_cmd(
    base: str = typer.Argument(..., help="the base model: a name, directory or hub id"),
    tuned: str = typer.Argument(
        None, help="the fine-tuned model: a name, directory, hub id or forgetlab run directory"
    ),
    adapter: Path = typer.Option(None, "--adapter", help="a peft adapter folder for TUNED/BASE"),
    suite: str = typer.Option("default", "--suite", help="'default' or a suite TOML file"),
    out: Path = typer.Option(None, "--out", help="output folder (default runs/audit/<time>)"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace an existing audit folder"),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda"),
    dtype: str = typer.Option("float32", "--dtype", help="float32 | bfloat16 | float16 weights"),
) -> None:
    """Compare a fine-tuned model with its base: layers, probes, general ability, losses."""
    from forgetlab.audit import audit

    result = audit(base, tuned, str(adapter) if adapter else None, suite, out, overwrite, device)
    console = Console()
    for line in result.results["findings"]:
        console.print(f"- {line}")
    console.print(f"results in [bold]{result.out}[/bold] (results.json, report.html)")
