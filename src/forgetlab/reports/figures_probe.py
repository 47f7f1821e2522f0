"""Probing figures: R next to P and its baseline P0, probe kinds, per-layer curves, CKA.

figs = probing_figures(run.R, run.probing, short_task_labels(run.tasks))   # list of Figures

`probing` is the `probing` object of results.json, read as a dict. A probe accuracy is never
drawn without the same probe on the untrained model (P0) next to it: a refitted probe that
scores well may only show the pretrained representation surviving. Means over tasks use the
same tasks for every series (`probing.summary`); intervals are drawn where recorded. Lines
with a single point are drawn as large markers, and a baseline that coincides with its
fine-tuned line stays visible (hollow markers, drawn beside it).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure as MplFigure

from forgetlab.probing.summary import kind_summaries
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
    """After the last probed stage, mean accuracy on the same (old) tasks: the model, each
    probe kind on its last and best layer, and its P0."""
    summaries = kind_summaries(probing, [[None if np.isnan(v) else v for v in r] for r in R])
    kinds = [s.kind for s in summaries]
    series = [
        ("probe, last layer", "P", "#4472c4"),
        ("probe, best layer (validation)", "P_best", "#9dc3e6"),
        ("baseline P0 (untrained)", "P0", "#7f7f7f"),
    ]
    fig = MplFigure(figsize=(max(5.0, 1.6 * len(kinds) + 4.0), 3.2), layout="constrained")
    ax = fig.add_subplot()
    width = 0.8 / len(series)
    xs = np.arange(1, len(kinds) + 1)
    r_mean = summaries[0].R if summaries else None
    model = ax.bar([0], [np.nan if r_mean is None else r_mean], width, color="#c0504d")
    model.set_label("model R (own head)")
    ax.bar_label(model, fmt="%.2f", fontsize=7)
    for k, (label, key, color) in enumerate(series):
        vals = [getattr(s, key) for s in summaries]
        vals = [np.nan if v is None else v for v in vals]
        bars = ax.bar(xs + (k - 1) * width, vals, width, label=label, color=color)
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.set_xticks([0, *xs], ["model", *kinds])
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("accuracy, same tasks")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(alpha=0.3, axis="y")
    tasks = ", ".join(labels[j] for j in summaries[0].tasks) if summaries else ""
    stage = summaries[0].stage if summaries else "?"
    ax.set_title(f"after stage {stage}: tasks {tasks}, every probe kind", fontsize=10)
    return render_figure(
        fig,
        "probing_kinds",
        "Mean accuracy after the last probed stage on the same tasks for every bar (the tasks "
        "seen before that stage): each probe kind on the last layer and on the layer chosen on "
        "validation rows, the same probe on the untrained model (P0), and the model's own head "
        "(red).",
    )


def probe_intervals(R: np.ndarray, probing: dict[str, Any], labels: list[str]) -> Figure | None:
    """The main probe after the last probed stage, task by task: R, P and P0 with their
    intervals; a star where the paired test separates P from R (red) or from P0 (grey)."""
    summaries = kind_summaries(probing, [[None if np.isnan(v) else v for v in r] for r in R])
    if not summaries:
        return None
    s = summaries[0]
    fig = MplFigure(figsize=(max(4.5, 1.1 * len(s.tasks) + 2.8), 3.2), layout="constrained")
    ax = fig.add_subplot()
    xs = np.arange(len(s.tasks))

    def draw(dx: float, key: str, ci_key: str | None, color: str, label: str) -> None:
        ys = np.array([np.nan if t[key] is None else t[key] for t in s.per_task])
        if ci_key is not None:
            lo = [t[ci_key][0] if t[ci_key] else y for t, y in zip(s.per_task, ys)]
            hi = [t[ci_key][1] if t[ci_key] else y for t, y in zip(s.per_task, ys)]
            err = np.abs(np.array([ys - np.array(lo), np.array(hi) - ys]))
            ax.errorbar(xs + dx, ys, yerr=err, fmt="o", color=color, capsize=4, label=label)
        else:
            ax.plot(xs + dx, ys, "D", color=color, markersize=6, label=label)

    draw(-0.2, "R", None, "#c0504d", "model R")
    draw(0.0, "P", "P_interval", "#4472c4", f"P ({s.kind}, 95% interval)")
    draw(0.2, "P0", "P0_interval", "#7f7f7f", "P0 untrained (95% interval)")
    for x, t in zip(xs, s.per_task):
        for key, color, dy in (("vs_R", "#c0504d", 0.04), ("vs_P0", "#7f7f7f", 0.08)):
            test = t[key]
            if test and test["p"] < 0.05 and t["P"] is not None:
                ax.text(x, min(t["P"] + dy, 1.08), "*", color=color, ha="center", fontsize=12)
    ax.set_xticks(xs, [labels[j] if j < len(labels) else str(j) for j in s.tasks])
    ax.set_xlim(-0.6, len(xs) - 0.4)
    ax.set_ylim(-0.03, 1.12)
    ax.set_xlabel("task")
    ax.set_ylabel("accuracy")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title(f"after stage {s.stage}, per task", fontsize=10)
    return render_figure(
        fig,
        "probing_intervals",
        "Per task after the last probed stage: the model's own accuracy R, the main probe's P "
        "at the last layer and the untrained model's P0, each probe value with its 95% "
        "interval over training subsamples. Stars: P differs from R (red) or from P0 (grey) "
        "at p < 0.05 (paired bootstrap over test examples and subsamples).",
    )


def layer_curves(probing: dict[str, Any]) -> Figure:
    """Per probe kind: accuracy vs layer, one colour per stage; dashed = untrained baseline."""
    return render_figure(
        layer_curves_figure(probing),
        "probing_layers",
        "Probe accuracy at every layer, averaged over the tasks seen so far, after each stage "
        "(solid) and for the untrained model on the same classes (dashed, hollow markers, "
        "drawn a little to the right so that it shows where the two coincide).",
    )


def layer_curves_figure(probing: dict[str, Any]) -> MplFigure:
    """The matplotlib figure of `layer_curves` (tests read its lines)."""
    by = probing.get("by_probe") or {}
    kinds = [k for k in by if by[k].get("layer_accuracy")]
    layers = [str(x) for x in probing.get("layers") or []]
    fig = MplFigure(figsize=(min(3.6 * len(kinds) + 1.4, 14), 3.4), layout="constrained")
    for k, kind in enumerate(kinds):
        ax = fig.add_subplot(1, len(kinds), k + 1)
        acc = seq(by[kind]["layer_accuracy"])
        base = seq(by[kind].get("baseline_layer_accuracy"))
        colors = task_colors(len(acc))
        n_layers = max(len(seq(p)) for p in acc)
        size = 7 if n_layers == 1 else 4  # one layer: each line is one point
        for s, per_layer in enumerate(acc):
            ys = [nanmean(seq(t)) for t in seq(per_layer)]
            ax.plot(range(len(ys)), ys, "-o", color=colors[s], markersize=size, label=f"stage {s}")
            if s < len(base):  # beside the solid line, hollow: visible where they coincide
                ys0 = [nanmean(seq(t)) for t in seq(base[s])]
                ax.plot(
                    np.arange(len(ys0)) + 0.08,
                    ys0,
                    "--o",
                    color=colors[s],
                    markerfacecolor="white",
                    markersize=size,
                    alpha=0.8,
                )
        ticks = layers if len(layers) == n_layers else [str(i) for i in range(n_layers)]
        ax.set_xticks(range(n_layers), ticks, fontsize=8)
        ax.set_xlim(-0.5, n_layers - 0.5)
        ax.set_xlabel("layer")
        ax.set_ylim(-0.03, 1.03)
        ax.grid(alpha=0.3)
        ax.set_title(f"{kind} probe" + ("" if base else " (no baseline recorded)"), fontsize=10)
        if k == 0:
            ax.set_ylabel("probe accuracy, seen tasks")
    ax = fig.axes[-1]
    ax.plot([], [], "-o", color="black", label="fine-tuned")
    ax.plot([], [], "--o", color="black", markerfacecolor="white", label="untrained (P0)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


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
            width = max(len(r) for r in cka)
            for s, row in enumerate(cka):
                ys = [np.nan if v is None else v for v in row]
                ax.plot(
                    range(len(ys)),
                    ys,
                    "-o",
                    markersize=7 if width == 1 else 4,
                    color=colors[s],
                    label=f"stage {s}",
                )
            ax.set_xlim(-0.5, width - 0.5)
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
                size = 7 if len(S) == 1 else 4
                ax.plot(range(len(S)), S[:, j], "-o", markersize=size, color=colors[j], label=label)
                if j < len(base) and base[j] is not None:
                    ax.axhline(base[j], color=colors[j], linestyle="--", alpha=0.7)
            ax.set_xticks(range(len(S)))
            ax.set_xlim(-0.5, max(len(S), 1) - 0.5)
            ax.set_xlabel("stage")
            ax.set_ylabel("between / within class scatter")
            ax.legend(fontsize=7, title="task", title_fontsize=7)
        else:
            ys = [np.nan if v is None else v for v in overlap]
            few = sum(not np.isnan(v) for v in ys) <= 1
            ax.plot(
                range(len(ys)),
                ys,
                "-o",
                markersize=7 if few else 4,
                color="#c0504d",
                label="fine-tuned",
            )
            base = [np.nan if v is None else v for v in seq(probing.get("baseline_overlap"))]
            if base:
                ax.plot(
                    np.arange(len(base)) + 0.08,
                    base,
                    "--o",
                    markersize=7 if few else 4,
                    markerfacecolor="white",
                    color="#7f7f7f",
                    label="untrained",
                )
                ax.legend(fontsize=7)
            if all(np.isnan(v) for v in ys):
                ax.text(
                    0.5,
                    0.5,
                    "needs two stages\n(old vs new classes)",
                    transform=ax.transAxes,
                    ha="center",
                    va="center",
                    color="#888888",
                )
                ax.set_ylim(0, 1.5)
            ax.set_xticks(range(len(ys)))
            ax.set_xlim(-0.5, max(len(ys), 1) - 0.5)
            ax.set_xlabel("stage")
            ax.set_ylabel("old/new class overlap")
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
        intervals = probe_intervals(R, probing, labels)
        figs += [intervals] if intervals is not None else []
        figs.append(probe_kinds(R, probing, labels))
        if any(v.get("layer_accuracy") for v in probing["by_probe"].values()):
            figs.append(layer_curves(probing))
    rep = representation(probing, labels)
    return figs + ([rep] if rep else [])
