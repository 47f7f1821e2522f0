"""`forgetlab ls [strategies|streams|transforms|models|metrics|families|corpora]`: what is
registered (families and corpora: `forgetlab pretrain`)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

WHAT = ("strategies", "streams", "transforms", "models", "metrics", "families", "corpora")


def _registries() -> dict[str, list[tuple[str, str]]]:
    from forgetlab.metrics import forgetting
    from forgetlab.models import models
    from forgetlab.pretrain.corpus import corpora
    from forgetlab.pretrain.families import families
    from forgetlab.strategies import strategies
    from forgetlab.streams import stream_kinds
    from forgetlab.streams.transforms import transforms

    def doc(name: str) -> str:
        better = "higher" if forgetting.HIGHER_IS_BETTER[name] else "lower"
        return f"{getattr(forgetting, name).__doc__.splitlines()[0]} ({better} is better)"

    return {
        "strategies": [(n, strategies.help(n)) for n in strategies],
        "streams": [(n, stream_kinds.help(n)) for n in stream_kinds],
        "transforms": [(n, transforms.help(n)) for n in transforms],
        "models": [(n, models.help(n)) for n in models],
        "metrics": [(n, doc(n)) for n in forgetting.HIGHER_IS_BETTER],
        "families": [(n, families.help(n)) for n in families],
        "corpora": [(n, corpora.help(n)) for n in corpora],
    }


def ls_cmd(what: str = typer.Argument(None, help=f"one of {', '.join(WHAT)} (default: all)")):
    """List registered strategies, stream kinds, models and metrics."""
    from forgetlab.errors import ForgetlabError
    from forgetlab.registry import did_you_mean

    regs = _registries()
    if what is not None and what not in regs:
        raise ForgetlabError(
            f"cannot list {what!r};{did_you_mean(what, list(WHAT)) or ''} "
            f"choose one of: {', '.join(WHAT)}"
        )
    console = Console()
    for name in [what] if what else WHAT:
        table = Table(title=name, show_header=False, title_justify="left")
        table.add_column("name", style="bold")
        table.add_column("what")
        for n, h in regs[name]:
            table.add_row(n, escape(h))
        console.print(table)
