"""Figures of one run: the accuracy matrix, forgetting curves, cost per stage, general ability.

fig = accuracy_heatmap(run.R, run.initial, short_task_labels(run.tasks))   # a Figure (PNG)

Every function takes plain arrays/dicts and returns a `page.Figure`; none reads files.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure as MplFigure

from forgetlab.reports.page import Figure, render_figure

CMAP = "viridis"


FLAT_TICK_CHARS = 5  # longer column labels stand upright so that neighbours never overlap


def tick_rotation(labels: list[str], many: bool) -> int:
    """Column labels flat when short and few, upright (90 degrees) otherwise."""
    longest = max((len(str(t)) for t in labels), default=0)
    return 90 if many or longest > FLAT_TICK_CHARS else 0


def annotate_matrix(
    ax: Axes,
    M: np.ndarray,
    row_labels: list[str],
    col_labels: list[str],
    title: str,
    vmin: float = 0.0,
    vmax: float = 1.0,
    cmap: str = CMAP,
    diagonal_offset: int | None = None,
    marks: list[list[str]] | None = None,
) -> Any:
    """Draw M as a heatmap with each value written in its cell (followed by its mark, e.g.
    "*" at chance, when `marks` is given); NaN cells stay blank."""
    colormap = colormaps[cmap].with_extremes(bad="#eeeeee")  # NaN (not recorded): light grey
    image = ax.imshow(np.ma.masked_invalid(M), cmap=colormap, vmin=vmin, vmax=vmax, aspect="auto")
    rgba = image.cmap(image.norm(np.nan_to_num(M, nan=vmin)))
    small = M.shape[1] > 8
    for (i, j), v in np.ndenumerate(M):
        if np.isnan(v):
            ax.text(j, i, "–", ha="center", va="center", color="#999999", fontsize=8)
            continue
        lum = 0.299 * rgba[i, j, 0] + 0.587 * rgba[i, j, 1] + 0.114 * rgba[i, j, 2]
        ax.text(
            j,
            i,
            f"{v:.2f}{marks[i][j] if marks is not None else ''}",
            ha="center",
            va="center",
            fontsize=7 if small else 9,
            color="black" if lum > 0.5 else "white",
            fontweight="bold" if diagonal_offset is not None and i - diagonal_offset == j else None,
        )
    ax.set_xticks(range(M.shape[1]), col_labels, rotation=tick_rotation(col_labels, small))
    ax.set_yticks(range(M.shape[0]), row_labels)
    ax.set_xlabel("evaluated on task")
    ax.set_title(title, fontsize=10)
    ax.tick_params(length=0)
    return image


def task_colors(n: int) -> list:
    """Distinct colours for n tasks (tab10, tab20 beyond ten)."""
    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def matrix_rows(n_stages: int, labels: list[str], with_initial: bool) -> list[str]:
    rows = [f"after {labels[i]}" if i < len(labels) else f"stage {i}" for i in range(n_stages)]
    return (["initial"] if with_initial else []) + rows


def accuracy_heatmap(
    R: np.ndarray, initial: np.ndarray, labels: list[str], marks: list[list[str]] | None = None
) -> Figure:
    """R with the accuracy before training as its first row; the learned diagonal in bold;
    `marks` (rows of the drawn matrix) after each value, e.g. "*" at or below chance."""
    M = np.vstack([initial[None, :], R]) if initial.size else R
    T = M.shape[1]
    fig = MplFigure(figsize=(max(4.8, 0.9 * T + 2.2), max(2.6, 0.45 * M.shape[0] + 1.2)))
    ax = fig.add_subplot()
    image = annotate_matrix(
        ax,
        M,
        matrix_rows(len(R), labels, bool(initial.size)),
        labels,
        "accuracy R[i][j]",
        diagonal_offset=1 if initial.size else 0,
        marks=marks,
    )
    if initial.size:
        ax.axhline(0.5, color="white", linewidth=3)
    fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02, label="accuracy")
    return render_figure(
        fig,
        "accuracy_matrix",
        "Accuracy on each task (columns) after training each stage (rows); the first row is the "
        "model before any training, the diagonal (bold) is each task just after it was learned."
        + (
            " * marks a cell at or below chance among its candidates, ° one at or below the "
            "task's majority-class accuracy."
            if marks is not None
            else ""
        ),
    )


def forgetting_curves(
    R: np.ndarray,
    initial: np.ndarray,
    labels: list[str],
    distance: np.ndarray,
    distance_logprob: np.ndarray | None = None,
) -> Figure:
    """Each task's accuracy across stages; dashed before it is trained, a star where it is;
    beside it `distance` (results.json `forgetting_by_distance`), when the run is complete,
    and for causal LMs the same drop in the gold label's log-likelihood
    (`forgetting_by_distance_logprob`)."""
    n, T = R.shape
    M = np.vstack([initial[None, :], R]) if initial.size else R
    x0 = -1 if initial.size else 0
    xs = np.arange(x0, n)
    with_lp = distance_logprob is not None and distance_logprob.size > 0
    panels = 1 + bool(distance.size) + with_lp
    fig = MplFigure(figsize=(7.0 + 4.5 * (panels - 1), 3.6), layout="constrained")
    ax = fig.add_subplot(1, panels, 1)
    colors = task_colors(T)
    for j in range(T):
        col = M[:, j]
        split = min(j - x0, len(xs) - 1)  # index of the stage that trains task j
        ax.plot(xs[: split + 1], col[: split + 1], "--", color=colors[j], alpha=0.6)
        ax.plot(xs[split:], col[split:], "-o", color=colors[j], markersize=3, label=labels[j])
        if j < n:
            ax.plot([j], [R[j, j]], "*", color=colors[j], markersize=11)
    ax.set_xticks(xs, ["init" if x < 0 else labels[x] if x < len(labels) else str(x) for x in xs])
    ax.set_xlabel("after training")
    ax.set_ylabel("accuracy")
    ax.set_ylim(-0.03, 1.03)
    ax.grid(alpha=0.3)
    ax.set_title("accuracy of each task across stages", fontsize=10)
    ax.legend(
        fontsize=8,
        ncols=1 if T <= 12 else 2,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        title="task",
        title_fontsize=8,
    )
    bars = [(distance, "mean drop R[j][j] - R[j+d][j]", "forgetting by distance", "#c0504d")]
    if with_lp:
        bars.append(
            (
                distance_logprob,
                "mean drop of log p(gold label), nats",
                "on log-likelihood",
                "#8064a2",
            )
        )
    for k, (values, ylabel, title, color) in enumerate(bars if distance.size else []):
        ax2 = fig.add_subplot(1, panels, 2 + k)
        ax2.bar(np.arange(1, values.size + 1), values, color=color)
        ax2.set_xlabel("stages since the task was learned")
        ax2.set_ylabel(ylabel)
        ax2.set_xticks(np.arange(1, values.size + 1))
        ax2.axhline(0, color="black", linewidth=0.8)
        ax2.grid(alpha=0.3, axis="y")
        ax2.set_title(title, fontsize=10)
    return render_figure(
        fig,
        "forgetting_curves",
        "Left: accuracy of each task after every stage (dashed: before the task is trained; star: "
        "just after). Right: accuracy lost on a task d stages after it was learned, averaged "
        "over tasks" + (" (and, last, the gold label's log-likelihood lost)." if with_lp else "."),
    )


def stage_cost(stages: list[dict[str, Any]], probing_s: list[float] | None) -> Figure:
    """Seconds per stage: training (strategy hooks shown apart), evaluation, probing."""
    n = len(stages)
    xs = np.arange(n)
    strategy = np.array([sum((s.get("strategy_s") or {}).values()) for s in stages])
    train = np.array([s.get("train_s", 0.0) for s in stages]) - strategy
    parts = [
        ("training", np.clip(train, 0, None), "#4472c4"),
        ("strategy hooks", strategy, "#ed7d31"),
    ]
    parts.append(("evaluation", np.array([s.get("eval_s", 0.0) for s in stages]), "#a5a5a5"))
    if probing_s:
        parts.append(("probing", np.array(probing_s[:n] + [0.0] * (n - len(probing_s))), "#70ad47"))
    fig = MplFigure(figsize=(max(4.5, 0.6 * n + 2.5), 3.0))
    ax = fig.add_subplot()
    bottom = np.zeros(n)
    total = sum(float(v.sum()) for _, v, _ in parts)
    for label, values, color in parts:
        if values.sum() > 0.005 * total:  # hide parts too thin to see (e.g. seq's hooks)
            ax.bar(xs, values, bottom=bottom, label=label, color=color, width=0.7)
            bottom += values
    ax.set_xticks(xs, [str(s.get("stage", i)) for i, s in enumerate(stages)])
    ax.set_xlabel("stage")
    ax.set_ylabel("seconds")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(alpha=0.3, axis="y")
    ax.set_title("wall time per stage", fontsize=10)
    return render_figure(
        fig,
        "stage_time",
        "Wall time of each stage, split into training, time inside strategy "
        "hooks, evaluation of every task, and probing (when it ran).",
    )


def general_curves(
    series: dict[str, list[float | None]],
    score: list[float | None] | None = None,
    score_name: str = "accuracy",
    points: list[str] | None = None,
) -> Figure:
    """General-ability figures (e.g. held-out perplexity) per evaluation point (index 0: before
    training when recorded), beside the stream's mean `score` on the tasks seen so far."""
    panels = ([(f"stream: mean {score_name}, seen tasks", score)] if score else []) + list(
        series.items()
    )
    fig = MplFigure(figsize=(min(3.4 * len(panels), 13), 3.0))
    for k, (name, values) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), k + 1)
        ys = np.array([np.nan if v is None else float(v) for v in values])
        ax.plot(
            np.arange(len(ys)), ys, "-o", markersize=3, color="C1" if k == 0 and score else "C0"
        )
        ax.set_title(name, fontsize=10)
        if points is not None and len(points) >= len(ys):
            ax.set_xticks(range(len(ys)), [p.replace("after ", "") for p in points[: len(ys)]])
        else:
            ax.set_xlabel("evaluation point (0 = first recorded)")
        ax.grid(alpha=0.3)
    fig.subplots_adjust(wspace=0.35)
    return render_figure(
        fig,
        "general_ability",
        "General ability before training and after each stage (results.json `general`), "
        "beside the stream's own mean score on the tasks seen so far (first panel).",
    )
