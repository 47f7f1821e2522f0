"""User-facing errors: the CLI prints them as one line and exits with code 2."""

from __future__ import annotations


class ForgetlabError(Exception):
    """Bad input from the user (spec, data file, run directory). Never a bug in forgetlab."""


class SpecError(ForgetlabError):
    """The experiment spec is invalid; the message names the field path."""


class DataError(ForgetlabError):
    """A data file or stream cannot be built; the message names the file or task."""


class RunDirError(ForgetlabError):
    """The run directory cannot be used (exists, unwritable, incomplete)."""


class Interrupted(BaseException):
    """The process was asked to stop (SIGTERM); like KeyboardInterrupt (SIGINT), the run
    keeps its finished stages, is marked "interrupted", and can be resumed."""

    def __init__(self, signal_name: str, exit_code: int) -> None:
        super().__init__(signal_name)
        self.signal_name, self.exit_code = signal_name, exit_code
        self.run_dir = None  # set by the run that was stopped (the resume command names it)
