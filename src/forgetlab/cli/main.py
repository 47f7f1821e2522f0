"""The `forgetlab` command: run | validate | ls | sweep | report | compare | show | probe.

Examples:
    forgetlab run                                   # the quickstart
    forgetlab run experiments/wordnet/joint.toml --set train.lr=3e-5 --out runs/joint
    forgetlab validate experiments/wordnet/joint.toml
    forgetlab ls strategies

Every user error is one line on stderr ("error: ...") and exit code 2: forgetlab's own
errors and command-line usage errors alike (an unknown option, a missing argument, a value of
the wrong type). Warnings of the library (its `forgetlab.*` loggers) are "warning: ..." lines.
"""

from __future__ import annotations

import logging
import signal
import sys

import typer

from forgetlab.cli import (
    audit,
    compare,
    infer,
    ls,
    pretrain,
    probe,
    report,
    run,
    show,
    sweep,
    validate,
)
from forgetlab.errors import ForgetlabError, Interrupted

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
app.command("show", epilog=show.EPILOG)(show.show_cmd)
app.command("infer", epilog=infer.EPILOG)(infer.infer_cmd)
app.command("pretrain", epilog=pretrain.EPILOG)(pretrain.pretrain_cmd)
probe.register(app)  # probe, probe-checkpoints
app.command("audit", epilog=audit.EPILOG)(audit.audit_cmd)


def _show_version(value: bool) -> None:
    if value:
        from forgetlab import __version__

        typer.echo(f"forgetlab {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False, "--version", is_eager=True, callback=_show_version, help="print the version"
    ),
) -> None:
    """Fine-tune language models on sequences of tasks; measure what they forget."""


class _WarningLines(logging.Handler):
    """forgetlab's logged warnings as 'warning: ...' lines on the current stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        typer.echo(f"warning: {record.getMessage()}", err=True)


def _log_warnings() -> None:
    log = logging.getLogger("forgetlab")
    if not any(isinstance(h, _WarningLines) for h in log.handlers):
        handler = _WarningLines(logging.WARNING)
        log.addHandler(handler)


def usage_line(e: typer.TyperException) -> str:
    """A command-line usage error as one line, with where to find the right usage."""
    message = " ".join(e.format_message().split())
    ctx = getattr(e, "ctx", None)
    where = ctx.command_path if ctx is not None else "forgetlab"
    return f"{message} (see `{where} --help`)"


def _terminate(signum, frame) -> None:
    raise Interrupted("SIGTERM", 143)


def main() -> None:
    """Entry point: user errors become one line on stderr and exit code 2; SIGINT (Ctrl-C)
    and SIGTERM stop a run resumably, with one line saying how to resume (exit 130 / 143)."""
    _log_warnings()
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = app(standalone_mode=False, prog_name="forgetlab")
    except ForgetlabError as e:
        typer.echo(f"error: {e}", err=True)
        sys.exit(2)
    except Interrupted as e:
        where = f"; resume with: forgetlab run --resume {e.run_dir}" if e.run_dir else ""
        typer.echo(f"interrupted ({e.signal_name}){where}", err=True)
        sys.exit(e.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("interrupted (SIGINT)", err=True)
        sys.exit(130)
    except typer.TyperException as e:  # typer's own (vendored) click: usage errors
        from typer._click.exceptions import NoArgsIsHelpError

        if isinstance(e, NoArgsIsHelpError):  # bare `forgetlab`: the help, as --help would
            typer.echo(e.format_message())
            return
        typer.echo(f"error: {usage_line(e)}", err=True)
        sys.exit(2)
    if isinstance(code, int) and code:  # typer returns a command's typer.Exit(code)
        sys.exit(code)
