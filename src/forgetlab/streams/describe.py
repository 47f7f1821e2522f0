"""A stream described for people: the labels that form each task, as data and as lines.

task_classes(stream)      # [["sports", "music"], ["cooking", "travel"]]
task_lines(stream)        # ["task 0 leisure: sports, music (80 train, 20 test)", ...]
"""

from __future__ import annotations

SHOWN_LABELS = 8  # a task with more labels shows the first ones and how many there are


def task_classes(stream) -> list[list[str]]:
    """The label names of each task, in the stream's order (empty for generative tasks)."""
    return [[stream.class_names[c] for c in task.classes] for task in stream.tasks]


def _labels(names: list[str]) -> str:
    if not names:
        return "free-text answers"
    shown = ", ".join(names[:SHOWN_LABELS])
    more = len(names) - SHOWN_LABELS
    return f"{shown}, ... ({len(names)} labels)" if more > 0 else shown


def task_lines(stream) -> list[str]:
    """One line per task: its position, name, labels and example counts."""
    return [
        f"task {j} {task.name}: {_labels(names)} ({len(task.train)} train, {len(task.test)} test)"
        for j, (task, names) in enumerate(zip(stream.tasks, task_classes(stream)))
    ]
