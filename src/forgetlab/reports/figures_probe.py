"""Probing figures: R next to P and its baseline P0, probe kinds, per-layer curves, CKA.

figs = probing_figures(run.R, run.probing, short_task_labels(run.tasks))   # list of Figures

`probing` is the `probing` object of results.json, read as a dict. A probe accuracy is never
drawn without the same probe on the untrained model (P0) next to it: a refitted probe that
scores well may only show the pretrained representation surviving.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure as MplFigure

from forgetlab.reports.figures_run import annotate_matrix, matrix_rows, task_colors
from forgetlab.reports.page import Figure, render_figure
from forgetlab.reports.run_data import as_matrix


def seq(x: Any) -> list:
    """Lists stay lists; dicts keyed by stage/layer become their values in key order."""
    if isinstance(x, dict):
        return list(x.values())
    return list(x or [])


def main_kind(probing: dict[str, Any]) -> str | None:
    kinds = list(probing.get("by_probe") or {})
    return "linear" if "linear" in kinds else (kinds[0] if kinds else None)


def nanmean(values) -> float:
    arr = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    return float(np.nanmean(arr)) if np.any(~np.isnan(arr)) else float("nan")


def old_task_mean(M: np.ndarray) -> float:
    """Mean over the old tasks (all but the last) of the last row; all tasks if only one."""
    if M.size == 0:
        return float("nan")
    last = M[-1]
    cols = last[:-1] if last.size > 1 else last
    return nanmean(cols)


def probe_matrices(R: np.ndarray, probing: dict[str, Any], labels: list[str]) -> Figure:
    """R | P | P0 heatmaps, and below them P - R (not expressed) and P - P0 (vs untrained)."""
    T = len(labels)
    kind = main_kind(probing) or "linear"
    entry = (probing.get("by_probe") or {}).get(kind, {})
    P = as_matrix(entry.get("accuracy_matrix") or probing.get("accuracy_matrix") or [], T)
    P0 = as_matrix(entry.get("baseline_accuracy_matrix") or [], T)
    rows = matrix_rows(len(R), labels, with_initial=False)
    fig = MplFigure(
        figsize=(max(10.5, 3 * (0.75 * T + 1.2)), 2 * max(2.4, 0.42 * len(R) + 1.3)),
        layout="constrained",
    )
    top = [
        (R, "model R (its own head)"),
        (P, f"probe P ({kind}, last layer)"),
        (P0, f"baseline P0 ({kind} probe, untrained model)"),
    ]
    for k, (M, title) in enumerate(top):
        ax = fig.add_subplot(2, 3, k + 1)
        if M.size:
            annotate_matrix(ax, M, rows if k == 0 else [""] * len(rows), labels, title)
        else:
            ax.set_axis_off()
            ax.text(0.5, 0.5, f"{title}:\nnot recorded", ha="center", va="center", color="#a00")
    gaps = [(P - R if P.shape == R.shape else np.empty((0, 0)), "P - R: known but not expressed")]
    gaps.append((P - P0 if P.shape == P0.shape and P.size else np.empty((0, 0)), "P - P0"))
    for k, (M, title) in enumerate(gaps):
        ax = fig.add_subplot(2, 3, 4 + k)
        if M.size:
            image = annotate_matrix(ax, M, rows, labels, title, -1.0, 1.0, cmap="RdBu")
        else:
            ax.set_axis_off()
            ax.text(0.5, 0.5, f"{title}:\nbaseline not recorded", ha="center", color="#a00")
    if any(M.size for M, _ in gaps):
        fig.colorbar(image, ax=fig.axes[3:5], fraction=0.03, pad=0.02, label="difference")
    return render_figure(
        fig,
        "probing_matrices",
        f"Top: the model's accuracy matrix R, a {kind} probe's accuracy P on the last layer's "
        "frozen features after each stage, and the same probe on the untrained model (P0, same "
        "classes). Bottom: P - R (knowledge in the features the head does not express) and "
        "P - P0 (what the probe finds beyond the pretrained representation).",
    )


def probe_kinds(R: np.ndarray, probing: dict[str, Any], labels: list[str]) -> Figure:
    """After the last stage, mean accuracy on old tasks: model, each probe kind and its P0."""
    T = len(labels)
    by = probing.get("by_probe") or {}
    kinds = list(by)
    series = [
        ("probe, last layer", "accuracy_matrix", "#4472c4"),
        ("probe, best layer", "best_layer_accuracy_matrix", "#9dc3e6"),
        ("baseline P0 (untrained)", "baseline_accuracy_matrix", "#7f7f7f"),
    ]
    fig = MplFigure(figsize=(max(5.0, 1.6 * len(kinds) + 4.0), 3.2), layout="constrained")
    ax = fig.add_subplot()
    width = 0.8 / len(series)
    xs = np.arange(1, len(kinds) + 1)
    model = ax.bar([0], [old_task_mean(R)], width, color="#c0504d", label="model R (own head)")
    ax.bar_label(model, fmt="%.2f", fontsize=7)
    for k, (label, key, color) in enumerate(series):
        vals = [old_task_mean(as_matrix(by[kind].get(key) or [], T)) for kind in kinds]
        bars = ax.bar(xs + (k - 1) * width, vals, width, label=label, color=color)
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.set_xticks([0, *xs], ["model", *kinds])
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("accuracy on old tasks")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(alpha=0.3, axis="y")
    ax.set_title("after the last stage: old tasks, every probe kind", fontsize=10)
    return render_figure(
        fig,
        "probing_kinds",
        "Mean accuracy on the old tasks (all but the last) after the last stage: each probe kind "
        "on the last layer and on its best layer, the same probe on the untrained model (P0), "
        "and the model's own head (red).",
    )


def layer_curves(probing: dict[str, Any]) -> Figure:
    """Per probe kind: accuracy vs layer, one colour per stage; dashed = untrained baseline."""
    by = probing.get("by_probe") or {}
    kinds = [k for k in by if by[k].get("layer_accuracy")]
    layers = [str(x) for x in probing.get("layers") or []]
    fig = MplFigure(figsize=(min(3.6 * len(kinds) + 1.4, 14), 3.4), layout="constrained")
    for k, kind in enumerate(kinds):
        ax = fig.add_subplot(1, len(kinds), k + 1)
        acc = seq(by[kind]["layer_accuracy"])
        base = seq(by[kind].get("baseline_layer_accuracy"))
        colors = task_colors(len(acc))
        for s, per_layer in enumerate(acc):
            ys = [nanmean(seq(t)) for t in seq(per_layer)]
            ax.plot(range(len(ys)), ys, "-o", color=colors[s], markersize=3, label=f"stage {s}")
            if s < len(base):
                ys0 = [nanmean(seq(t)) for t in seq(base[s])]
                ax.plot(range(len(ys0)), ys0, "--", color=colors[s], alpha=0.7)
        n_layers = max(len(seq(p)) for p in acc)
        ticks = layers if len(layers) == n_layers else [str(i) for i in range(n_layers)]
        ax.set_xticks(range(n_layers), ticks, fontsize=8)
        ax.set_xlabel("layer")
        ax.set_ylim(-0.03, 1.03)
        ax.grid(alpha=0.3)
        ax.set_title(f"{kind} probe" + ("" if base else " (no baseline recorded)"), fontsize=10)
        if k == 0:
            ax.set_ylabel("probe accuracy, seen tasks")
    ax = fig.axes[-1]
    ax.plot([], [], "-", color="black", label="fine-tuned")
    ax.plot([], [], "--", color="black", label="untrained (P0)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return render_figure(
        fig,
        "probing_layers",
        "Probe accuracy at every layer, averaged over the tasks seen so far, after each stage "
        "(solid) and for the untrained model on the same classes (dashed, same colour).",
    )


def representation(probing: dict[str, Any], labels: list[str]) -> Figure | None:
    """CKA per layer (how much each layer moved), class separability, old/new overlap."""
    cka = [seq(row) for row in seq(probing.get("cka"))]
    sep = [seq(row) for row in seq(probing.get("separability"))]
    overlap = seq(probing.get("overlap"))
    panels = [p for p, data in (("cka", cka), ("sep", sep), ("overlap", overlap)) if data]
    if not panels:
        return None
    fig = MplFigure(figsize=(3.8 * len(panels) + 0.8, 3.2), layout="constrained")
    layers = [str(x) for x in probing.get("layers") or []]
    for k, panel in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), k + 1)
        if panel == "cka":
            colors = task_colors(len(cka))
            for s, row in enumerate(cka):
                ys = [np.nan if v is None else v for v in row]
                ax.plot(range(len(ys)), ys, "-o", markersize=3, color=colors[s], label=f"stage {s}")
            width = max(len(r) for r in cka)
            ax.set_xticks(range(width), layers if len(layers) == width else range(width))
            ax.set_xlabel("layer")
            ax.set_ylabel("linear CKA, before vs after stage")
            ax.set_ylim(0, 1.03)
            ax.legend(fontsize=7)
        elif panel == "sep":
            width = max(len(r) for r in sep)
            S = as_matrix(sep, width)
            colors = task_colors(width)
            base = seq(probing.get("baseline_separability"))
            for j in range(width):
                label = labels[j] if j < len(labels) else str(j)
                ax.plot(range(len(S)), S[:, j], "-o", markersize=3, color=colors[j], label=label)
                if j < len(base) and base[j] is not None:
                    ax.axhline(base[j], color=colors[j], linestyle="--", alpha=0.7)
            ax.set_xlabel("stage")
            ax.set_ylabel("between / within class scatter")
            ax.legend(fontsize=7, title="task", title_fontsize=7)
        else:
            ys = [np.nan if v is None else v for v in overlap]
            ax.plot(range(len(ys)), ys, "-o", markersize=3, color="#c0504d", label="fine-tuned")
            base = [np.nan if v is None else v for v in seq(probing.get("baseline_overlap"))]
            if base:
                ax.plot(range(len(base)), base, "--", color="#7f7f7f", label="untrained")
                ax.legend(fontsize=7)
            ax.set_xlabel("stage")
            ax.set_ylabel("old/new class overlap")
        if panel != "cka":
            ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.set_title(
            {"cka": "layer similarity", "sep": "separability", "overlap": "overlap"}[panel]
        )
    return render_figure(
        fig,
        "representation",
        "Left to right (where recorded): linear CKA between each layer's features before and "
        "after each stage (1 = unchanged); class separability of each task after each stage; "
        "overlap between old-task and new-task classes. Dashed: the untrained model.",
    )


def probing_figures(R: np.ndarray, probing: dict[str, Any], labels: list[str]) -> list[Figure]:
    figs = [probe_matrices(R, probing, labels)]
    if probing.get("by_probe"):
        figs.append(probe_kinds(R, probing, labels))
        if any(v.get("layer_accuracy") for v in probing["by_probe"].values()):
            figs.append(layer_curves(probing))
    rep = representation(probing, labels)
    return figs + ([rep] if rep else [])
