"""The membership figure: R, the membership p-values M and (with probing) P side by side.

fig = membership_figure(R, M, labels, alpha=0.05, P=None)

Three views of each task after each stage: can the model still do it (R), does it still
carry the trace of its training data (M, dataset inference p-values; small = trained on),
and is it still decodable from the features (P, the linear probe). Unseen cells are blank.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure as MplFigure

from forgetlab.reports.figures_run import annotate_matrix, matrix_rows
from forgetlab.reports.page import Figure, render_figure


def membership_figure(
    R: np.ndarray, M: np.ndarray, labels: list[str], alpha: float, P: np.ndarray | None = None
) -> Figure:
    panels = [
        ("accuracy R", R, "viridis"),
        (f"membership p-value M (< {alpha}: trained on)", M, "magma"),
    ]
    if P is not None:
        panels.append(("probe accuracy P (linear, last layer)", P, "viridis"))
    T = R.shape[1]
    fig = MplFigure(
        figsize=(len(panels) * max(3.6, 0.8 * T + 1.6), max(2.6, 0.45 * R.shape[0] + 1.4)),
        layout="constrained",
    )
    rows = matrix_rows(R.shape[0], labels, with_initial=False)
    for k, (title, values, cmap) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), k + 1)
        annotate_matrix(ax, values, rows if k == 0 else [""] * len(rows), labels, title, cmap=cmap)
    return render_figure(
        fig,
        "membership",
        "After each stage (rows), for each task (columns): accuracy R; dataset-inference "
        "p-value M that the model was trained on the task's training data (against its test "
        f"data; below {alpha}: the trace is there); and, with probing, the linear probe's "
        "accuracy P. A trace that outlives the accuracy: M small where R has fallen.",
    )
