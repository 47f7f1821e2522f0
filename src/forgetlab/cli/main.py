"""The `forgetlab` command: run | validate | ls. Each verb parses and calls the library.

Examples:
    forgetlab run                                   # the quickstart
    forgetlab run experiments/wordnet/joint.toml --set train.lr=3e-5 --out runs/joint
    forgetlab validate experiments/wordnet/joint.toml
    forgetlab ls strategies
"""

from __future__ import annotations

import sys

import typer

from forgetlab.cli import compare, ls, pretrain, probe, report, run, sweep, validate
from forgetlab.errors import ForgetlabError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Fine-tune language models on sequences of tasks; measure what they forget.",
    epilog="Quickstart: forgetlab run   |   Docs: README.md",
)
app.command("run", epilog=run.EPILOG)(run.run_cmd)
app.command("validate")(validate.validate_cmd)
app.command("ls")(ls.ls_cmd)
app.command("sweep", epilog=sweep.EPILOG)(sweep.sweep_cmd)
app.command("report", epilog=report.EPILOG)(report.report_cmd)
app.command("compare", epilog=compare.EPILOG)(compare.compare_cmd)
app.command("pretrain", epilog=pretrain.EPILOG)(pretrain.pretrain_cmd)
probe.register(app)  # probe, probe-checkpoints


def main() -> None:
    """Entry point: user errors become one line on stderr and exit code 2."""
    try:
        app(standalone_mode=False)
    except ForgetlabError as e:
        typer.echo(f"error: {e}", err=True)
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("aborted", err=True)
        sys.exit(130)
    except Exception as e:  # click usage errors come here with standalone_mode=False
        import click

        if isinstance(e, click.ClickException):
            e.show()
            sys.exit(2)
        raise
