"""Progress bars (rich) for long work; a silent stand-in when progress is off."""

from __future__ import annotations

from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


class _Silent:
    def add_task(self, description: str, total: float | None = None, **fields) -> int:
        return 0

    def update(self, task_id: int, **kw) -> None:
        pass

    def advance(self, task_id: int, advance: float = 1) -> None:
        pass

    def remove_task(self, task_id: int) -> None:
        pass


@contextmanager
def progress_bar(enabled: bool):
    """A rich Progress (stderr, transient per task) or a no-op object with the same methods."""
    if not enabled:
        yield _Silent()
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeRemainingColumn(),
    )
    with bar:
        yield bar
