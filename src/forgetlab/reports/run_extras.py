"""Report sections of a run beyond R: the exact-match matrix (`eval.exact_match`), the
confusion of the last saved stage (confusion.json of the `predictions` observer) and the
run's warnings.

    exact_match_section(run, labels)   # Section | None
    confusion_section(run)             # Section | None (no confusion.json)
    warnings_block(run)                # Text | None
"""

from __future__ import annotations

import json

import numpy as np
from matplotlib.figure import Figure as MplFigure

from forgetlab.reports import figures_run
from forgetlab.reports.page import Figure, Section, Table, Text, fmt, render_figure
from forgetlab.reports.run_data import RunData

MAX_ANNOTATED = 20  # classes up to which each cell's value is written in the figure


def exact_match_section(run: RunData, labels: list[str]) -> Section | None:
    rows = [s.get("exact_match") for s in run.stages]
    if not rows or any(r is None for r in rows):
        return None
    M = np.array(rows, dtype=float)
    fig = MplFigure(figsize=(max(4.8, 0.9 * M.shape[1] + 2.2), max(2.6, 0.45 * len(M) + 1.2)))
    ax = fig.add_subplot()
    image = figures_run.annotate_matrix(
        ax,
        M,
        figures_run.matrix_rows(len(M), labels, False),
        labels,
        "exact match",
        diagonal_offset=0,
    )
    fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02, label="exact match")
    figure = render_figure(
        fig,
        "exact_match_matrix",
        "Share of test answers whose greedy generation equals the label, per task (columns) "
        "after each stage (rows); R ranks the candidate labels instead.",
    )
    table = Table(
        ["after", *labels],
        [[f"after {labels[i]}", *(fmt(v) for v in row)] for i, row in enumerate(rows)],
        "exact-match matrix",
    )
    return Section("exact_match", "Exact match of generated answers", [figure, table])


def load_confusion(run: RunData) -> list[dict]:
    path = run.path / "confusion.json"
    if not path.is_file():
        return []
    try:
        return list(json.loads(path.read_text()).get("stages") or [])
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        return []


def confusion_figure(entry: dict) -> Figure:
    """Row-normalised confusion of one stage; lines part the classes of earlier tasks (old)
    from those of the stage's own task (new)."""
    M = np.array(entry["matrix"], dtype=float)
    names = list(entry["classes"])
    owner = entry.get("class_tasks") or [None] * len(names)
    share = M / np.maximum(M.sum(1, keepdims=True), 1)
    K = len(names)
    size = max(4.0, 0.42 * K + 2.0)
    fig = MplFigure(figsize=(size + 1.0, size))
    ax = fig.add_subplot()
    image = ax.imshow(share, cmap=figures_run.CMAP, vmin=0, vmax=1)
    if K <= MAX_ANNOTATED:
        for (i, j), v in np.ndenumerate(M):
            if v:
                light = share[i, j] > 0.5
                ax.text(j, i, str(int(v)), ha="center", va="center", fontsize=7,
                        color="black" if light else "white")  # fmt: skip
    ax.set_xticks(range(K), names, rotation=90, fontsize=7)
    ax.set_yticks(range(K), names, fontsize=7)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    new = [k for k, t in enumerate(owner) if t == entry["stage"]]
    if new and new[0] > 0:  # old classes first, then the new task's
        ax.axhline(new[0] - 0.5, color="red", linewidth=1.5)
        ax.axvline(new[0] - 0.5, color="red", linewidth=1.5)
    ax.set_title(f"confusion after stage {entry['stage']} ({entry['task']})", fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02, label="share of the true class")
    return render_figure(
        fig,
        f"confusion_stage_{entry['stage']:03d}",
        "Test examples of the tasks seen so far by true class (rows) and predicted class "
        "(columns), counts written in the cells, colour the share of the row. The red lines part "
        "the classes of earlier tasks (old, top left) from the last task's (new): old rows "
        "whose mass sits in the new columns are the old classes the new ones swallow.",
    )


def confusion_section(run: RunData) -> Section | None:
    entries = load_confusion(run)
    if not entries:
        return None
    last = entries[-1]
    M = np.array(last["matrix"], dtype=float)
    owner = last.get("class_tasks") or []
    old = [k for k, t in enumerate(owner) if t is not None and t < last["stage"]]
    new = [k for k, t in enumerate(owner) if t == last["stage"]]
    blocks: list = [confusion_figure(last)]
    if old and new:
        to_new = M[np.ix_(old, new)].sum() / max(M[old].sum(), 1)
        blocks.append(
            Text(
                f"After stage {last['stage']}: {to_new:.1%} of the old classes' test examples "
                f"are predicted as one of the {len(new)} new classes."
            )
        )
    blocks.append(
        Text(
            "Per-example predictions: predictions/stage-XXX.csv (uid, task, label, predicted); "
            "every saved stage's counts: confusion.json."
        )
    )
    return Section("confusion", "Confusion of old and new classes", blocks)


def warnings_block(run: RunData) -> Text | None:
    found = run.results.get("warnings") or []
    if not found:
        return None
    return Text("Warnings: " + " | ".join(found))
