"""What a run says while it runs: plain lines, the same on a terminal and in a log file.

for line in preamble(spec, stream, learner): print(line)   # trainable parameters, the tasks
stage_line(-1, R_row, None, "t0")   # "before training: acc 0.50 0.48"
stage_line(1, R_row, stats, "t1", observer_s=...)
    # "stage 1 t1: 28 steps, loss 0.31, acc 0.00 0.99 (2.1 s; ewc end_task 0.8 s, evaluate 0.4 s)"

`quiet_libraries()` silences transformers' (and datasets') own progress bars, info messages
and FutureWarnings for the duration of a run, and puts the previous settings back after.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from forgetlab.streams.describe import task_lines


def trainable_line(spec, learner) -> str:
    total = sum(p.numel() for p in learner.parameters())
    trainable = sum(p.numel() for p in learner.trainable_parameters())
    strategies = "+".join(s.kind for s in spec.strategy)
    return (
        f"model {spec.model.name} ({learner.mode}): {trainable:,} of {total:,} parameters "
        f"trainable ({trainable / max(total, 1):.2%}); method {spec.method.kind}, "
        f"strategy {strategies}"
    )


def preamble(spec, stream, learner) -> list[str]:
    """The lines before training: the trainable-parameter line, then each task's labels."""
    kind = spec.stream.kind
    head = f"stream {kind} ({stream.scenario}), {len(stream.tasks)} tasks in this order:"
    return [trainable_line(spec, learner), head, *(f"  {line}" for line in task_lines(stream))]


def phase_times(stats, observer_s: dict | None, at_least: float = 0.05) -> str:
    """The named phases of one observation point that took time: each strategy hook (e.g.
    "ewc end_task 5.1 s", the Fisher) and each observer ("evaluate 2.0 s", "probe 3.1 s",
    "checkpoint 0.4 s"), in the order they ran."""
    parts = []
    for kind, hooks in ((stats.hook_s or {}) if stats is not None else {}).items():
        parts += [f"{kind} {hook} {s:.1f} s" for hook, s in hooks.items() if s >= at_least]
    parts += [f"{name} {s:.1f} s" for name, s in (observer_s or {}).items() if s >= at_least]
    return ", ".join(parts)


def stage_line(
    stage: int, scores, stats, task: str, score_name: str = "acc", observer_s=None
) -> str:
    """One line per observation point; `scores`: the row of R after `stage` (None values are
    tasks without a score, shown as '-'); then where the time went (`phase_times`)."""
    shown = " ".join("-" if s is None else f"{s:.2f}" for s in scores)
    phases = phase_times(stats, observer_s)
    if stage < 0 or stats is None:
        return f"before training: {score_name} {shown}" + (f" ({phases})" if phases else "")
    loss = "-" if stats.mean_loss is None else f"{stats.mean_loss:.3g}"
    return (
        f"stage {stage} {task}: {stats.steps} steps, loss {loss}, {score_name} {shown} "
        f"({stats.seconds:.1f} s" + (f"; {phases})" if phases else ")")
    )


def say(line: str) -> None:
    """Print a line now (flushed: a log file or pipe shows it at once)."""
    print(line, file=sys.stdout, flush=True)


@contextmanager
def quiet_libraries() -> Iterator[None]:
    """During a run: no progress bars or info lines from transformers (and datasets, when
    imported), FutureWarnings ignored; the previous settings come back afterwards. Errors
    and forgetlab's own warnings still show."""
    import transformers.utils.logging as tlog

    level, bars = tlog.get_verbosity(), tlog.is_progress_bar_enabled()
    tlog.set_verbosity_error()
    tlog.disable_progress_bar()
    dsets = sys.modules.get("datasets")
    dbars = dsets.is_progress_bar_enabled() if dsets is not None else None
    if dsets is not None:
        dsets.disable_progress_bars()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            yield
    finally:
        tlog.set_verbosity(level)
        if bars:
            tlog.enable_progress_bar()
        if dbars:
            dsets.enable_progress_bars()
