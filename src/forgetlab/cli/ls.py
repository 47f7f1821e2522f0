"""`forgetlab ls [strategies|methods|streams|transforms|models|metrics|probes|observers|
families|corpora]`: what is registered (families and corpora: `forgetlab pretrain`)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

WHAT = (
    "strategies",
    "methods",
    "streams",
    "transforms",
    "models",
    "metrics",
    "probes",
    "observers",
    "families",
    "corpora",
)


def _registries() -> dict[str, list[tuple[str, str]]]:
    from forgetlab.methods import methods
    from forgetlab.metrics import metrics
    from forgetlab.models import models
    from forgetlab.observers import observers
    from forgetlab.pretrain.corpus import corpora
    from forgetlab.pretrain.families import families
    from forgetlab.probing.probes import probe_kinds
    from forgetlab.strategies import strategies
    from forgetlab.streams import stream_kinds
    from forgetlab.streams.transforms import transforms

    def doc(name: str) -> str:
        m = metrics.get(name)
        return f"{m.description} ({'higher' if m.higher_is_better else 'lower'} is better)"

    return {
        "strategies": [(n, strategies.help(n)) for n in strategies],
        "methods": [(n, methods.help(n)) for n in methods],
        "streams": [(n, stream_kinds.help(n)) for n in stream_kinds],
        "transforms": [(n, transforms.help(n)) for n in transforms],
        "models": [(n, models.help(n)) for n in models],
        "metrics": [(n, doc(n)) for n in metrics.in_order()],
        "probes": [(n, probe_kinds.help(n)) for n in probe_kinds],
        "observers": [(n, observers.help(n)) for n in observers.in_order()],
        "families": [(n, families.help(n)) for n in families],
        "corpora": [(n, corpora.help(n)) for n in corpora],
    }


def _registry(what: str):
    """The registry behind `forgetlab ls WHAT` (for `ls WHAT NAME`)."""
    from forgetlab.methods import methods
    from forgetlab.metrics import metrics
    from forgetlab.models import models
    from forgetlab.observers import observers
    from forgetlab.pretrain.corpus import corpora
    from forgetlab.pretrain.families import families
    from forgetlab.probing.probes import probe_kinds
    from forgetlab.strategies import strategies
    from forgetlab.streams import stream_kinds
    from forgetlab.streams.transforms import transforms

    return {
        "strategies": strategies,
        "methods": methods,
        "streams": stream_kinds,
        "transforms": transforms,
        "models": models,
        "metrics": metrics,
        "probes": probe_kinds,
        "observers": observers,
        "families": families,
        "corpora": corpora,
    }[what]


def show_fields(what: str, name: str, console: Console) -> None:
    """One entry's help line and every field of its spec: key, type, default, description."""
    from forgetlab.spec.describe import field_rows

    registry = _registry(what)
    entry = registry.get(name)  # ForgetlabError with a did-you-mean when unknown
    spec = getattr(entry, "Spec", None)
    console.print(f"[bold]{name}[/bold] ({what}): {escape(registry.help(name))}")
    if spec is None:
        console.print("no spec fields: it is chosen by name only")
        return
    section = getattr(entry, "section", None)
    where = f"[{section}]" if section else f"[{_TABLE.get(what, what)}]"
    table = Table(title=f"fields of {escape(where)}", title_justify="left")
    for col in ("key", "type", "default", "description"):
        table.add_column(col, style="bold" if col == "key" else None)
    for row in field_rows(spec):
        table.add_row(*(escape(v) for v in row))
    console.print(table)


_TABLE = {"strategies": "strategy", "methods": "method", "streams": "stream"}
_TABLE.update({"transforms": "transform", "probes": "probe"})


def ls_cmd(
    what: str = typer.Argument(None, help=f"one of {', '.join(WHAT)} (default: all)"),
    name: str = typer.Argument(
        None, help="one entry (e.g. `ls strategies ewc`): every field with type and default"
    ),
):
    """List what is registered: strategies, methods, streams, transforms, models, metrics,
    probes and observers; `ls strategies ewc` shows the fields of one entry's spec."""
    from forgetlab.errors import ForgetlabError
    from forgetlab.registry import did_you_mean

    regs = _registries()
    if what is not None and what not in regs:
        raise ForgetlabError(
            f"cannot list {what!r};{did_you_mean(what, list(WHAT)) or ''} "
            f"choose one of: {', '.join(WHAT)}"
        )
    console = Console()
    if name is not None:
        show_fields(what, name, console)
        return
    for name in [what] if what else WHAT:
        table = Table(title=name, show_header=False, title_justify="left")
        table.add_column("name", style="bold")
        table.add_column("what")
        for n, h in regs[name]:
            table.add_row(n, escape(h))
        console.print(table)
