"""`forgetlab pretrain SPEC [--set k=v] [--out DIR] [--overwrite] [--dry-run]` |
`forgetlab pretrain --resume DIR`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from forgetlab.errors import SpecError

EPILOG = (
    "Examples:  forgetlab pretrain experiments/scale/rung.toml --out ladder/gpt2-1m  |  "
    "forgetlab pretrain rung.toml --set model.family=lstm --dry-run  |  "
    "forgetlab pretrain --resume ladder/gpt2-1m"
)


def show_plan(spec, plan, console: Console) -> None:
    s = plan.shape
    sizes = f"layers {s.layers}, hidden {s.hidden}"
    if spec.model.family != "lstm":
        sizes += f", heads {s.heads}, intermediate {s.intermediate}"
    if spec.model.family == "moe":
        sizes += f", experts {s.experts}, top-k {s.top_k}"
    console.print(
        f"{spec.model.family}: {plan.params:,} parameters ({plan.embedding_params:,} in the "
        f"embeddings; {sizes}), vocab {plan.vocab:,}",
        soft_wrap=True,
    )
    console.print(
        f"{plan.total_steps:,} steps of {plan.tokens_per_step:,} tokens; checkpoints at "
        + ", ".join(f"{t:,}" for t in plan.checkpoint_tokens)
        + " tokens",
        soft_wrap=True,
    )


def show_result(result, console: Console) -> None:
    r = result.results
    table = Table(title=f"{r.model.family}, {r.model.total_params:,} parameters")
    for col in ("tokens", "step", "held-out loss", "held-out ppl", "train loss"):
        table.add_column(col, justify="right")
    for c in r.checkpoints:
        train = "-" if c.train_loss is None else f"{c.train_loss:.3f}"
        table.add_row(
            f"{c.tokens:,}", str(c.step), f"{c.heldout_loss:.3f}", f"{c.heldout_ppl:.2f}", train
        )
    console.print(table)
    rate = f"{r.tokens_per_s:,.0f} tokens/s" if r.tokens_per_s else "no training step"
    console.print(
        f"{r.tokens_seen:,} tokens in {r.wall_time_s:.1f} s ({rate} in training); "
        f"checkpoints in [bold]{result.run_dir / 'checkpoints'}[/bold]"
    )


def pretrain_cmd(
    spec: Path = typer.Argument(None, help="pretraining TOML (corpus, model, train, checkpoints)"),
    set_: list[str] = typer.Option([], "--set", help="override a field: --set model.params=1e6"),
    out: Path = typer.Option(None, "--out", help="run directory (default runs/pretrain/NAME)"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace an existing directory"),
    dry_run: bool = typer.Option(False, "--dry-run", help="print sizes and steps; train nothing"),
    quiet: bool = typer.Option(False, "--quiet", help="no progress bar"),
    resume_dir: Path = typer.Option(
        None, "--resume", help="go on with a killed pretraining run in DIR"
    ),
) -> None:
    """Pretrain a causal LM from scratch; checkpoints are Hugging Face model directories."""
    from forgetlab.pretrain import load_pretrain_spec, pretrain, resume_pretrain
    from forgetlab.pretrain.plan import check_pretrain

    console = Console()
    if resume_dir is not None:
        if spec is not None or set_ or out is not None or overwrite or dry_run:
            raise SpecError(
                "--resume DIR takes the spec from DIR/spec.toml; drop SPEC, --set, --out, "
                "--overwrite and --dry-run"
            )
        show_result(resume_pretrain(resume_dir, progress=not quiet), console)
        return
    if spec is None:
        raise SpecError("name a pretraining spec (e.g. experiments/scale/rung.toml) or --resume")
    resolved = load_pretrain_spec(spec, set_)
    plan = check_pretrain(resolved)
    show_plan(resolved, plan, console)
    if dry_run:
        return
    show_result(pretrain(resolved, out=out, overwrite=overwrite, progress=not quiet), console)
