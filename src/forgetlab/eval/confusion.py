"""Confusion matrices of the test split's predictions: which classes a model mistakes for which.

    confusion_matrix(rows, classes)   # (K, K) counts: row = true class, column = predicted

`rows` are (uid, task, label, predicted) with class ids; `classes` the class ids the matrix
covers, in order (every seen class; a predicted class outside them is appended by
`seen_classes`). Row k sums to the number of test examples of class k; the trace over the total
is the accuracy over all counted examples.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

PREDICTION_COLUMNS = ("uid", "task", "label", "predicted")


def seen_classes(task_classes: Sequence[Sequence[int]], predicted: Iterable[int]) -> list[int]:
    """The classes of the seen tasks in stream order, then any other predicted class."""
    out: list[int] = []
    for classes in task_classes:
        out += [c for c in classes if c not in out]
    return out + sorted({int(p) for p in predicted} - set(out))


def confusion_matrix(pairs: Iterable[tuple[int, int]], classes: Sequence[int]) -> list[list[int]]:
    """(K, K) counts of (true, predicted) class-id pairs over `classes`."""
    index = {c: k for k, c in enumerate(classes)}
    M = [[0] * len(classes) for _ in classes]
    for label, predicted in pairs:
        M[index[label]][index[predicted]] += 1
    return M


def predictions_csv(rows: Sequence[tuple], task_names: Sequence[str], class_names) -> str:
    """CSV text of (uid, task, label, predicted) rows, with task and class names."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(PREDICTION_COLUMNS)
    for uid, task, label, predicted in rows:
        w.writerow([uid, task_names[task], class_names[label], class_names[predicted]])
    return buf.getvalue()
