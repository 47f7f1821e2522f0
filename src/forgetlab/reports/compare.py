"""Compare runs: metrics side by side with differences from the first run, matrices next to
each other, and the spec fields that differ.

runs = [load_run(d) for d in ("runs/seq", "runs/ewc")]
table = compare_metrics(runs)          # DataFrame: metric rows; a column per run, then Δ columns
column_heads(runs)                     # ["strategy=seq, train.lr=0.002", "strategy=ewc, ..."]
write_compare_csv(runs, Path("compare.csv"))   # a row per run: differing spec values, metrics
write_compare_report(runs, Path("compare.html"))

A value a run does not set (a field absent from its spec, a null metric) shows as "-",
in the terminal and the HTML page alike (an empty cell in the CSV).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure as MplFigure

from forgetlab.output_paths import check_report_file
from forgetlab.reports.figures_run import annotate_matrix, matrix_rows, task_colors
from forgetlab.reports.page import Figure, Page, Section, Table, render_figure, write_pages
from forgetlab.reports.run_data import RunData, short_task_labels
from forgetlab.tracking.logger import flatten

EXTRA = ("trainable_params", "wall_time_s")  # compared too, after the metrics
UNSET = "-"  # how a value that a run does not have is shown, everywhere in a comparison
KIND_TABLES = ("stream", "model", "method", "strategy", "transform")  # named by their kind
HEAD_PARTS = 3  # spec values in a column head; the `run k:` lines below list them all


def unique_labels(runs: list[RunData]) -> list[str]:
    labels: list[str] = []
    for run in runs:
        label = run.label
        while label in labels:
            label = f"{run.label} #{len(labels) + 1}"
        labels.append(label)
    return labels


def run_numbers(run: RunData) -> dict[str, float | None]:
    out = dict(run.results.get("metrics") or {})
    out["trainable_params"] = (run.results.get("model") or {}).get("trainable_params")
    out["wall_time_s"] = run.results.get("wall_time_s")
    return out


def spec_value(value) -> str:
    """A spec value as it reads in a head: `-` when unset, floats as Python writes them
    (3e-05), booleans and lists as TOML does."""
    if value is None:
        return UNSET
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value)
    return repr(value) if isinstance(value, float) else str(value)


def _kind_of(spec: dict, table: str):
    """A table's kind (`strategy`: the kinds of its list joined by '+'); None when unset."""
    value = spec.get(table)
    if isinstance(value, dict):
        return value.get("kind") if table != "model" else value.get("name")
    if isinstance(value, list):
        kinds = [str(v.get("kind")) for v in value if isinstance(v, dict)]
        return "+".join(kinds) or None
    return None


def differing_values(runs: list[RunData]) -> list[list[tuple[str, str]]]:
    """Per run, the (key, value) pairs of the spec fields that differ between the runs: a
    table whose kind differs (strategy, method, stream, model) by its kind alone, then the
    other fields by their dotted path (`train.lr`; `strategy.lambda_` for a single
    strategy); the run's `name` only when nothing else differs."""
    kinds = [t for t in KIND_TABLES if len({repr(_kind_of(r.spec, t)) for r in runs}) > 1]
    diff = spec_differences(runs)
    keys = [k for k in diff.index if k.split(".")[0] not in kinds]
    if kinds or len(keys) > 1:
        keys = [k for k in keys if k != "name"]
    single = {k.split(".")[0] for k in diff.index if re.match(r"^[a-z_]+\.0\.", k)}
    single -= {k.split(".")[0] for k in diff.index if re.match(r"^[a-z_]+\.1\.", k)}

    def short(key: str) -> str:
        head = key.split(".")[0]
        return re.sub(r"^([a-z_]+)\.0\.", r"\1.", key) if head in single else key

    out = []
    for k, run in enumerate(runs):
        pairs = [(t, spec_value(_kind_of(run.spec, t))) for t in kinds]
        pairs += [(short(key), spec_value(diff.loc[key].iloc[k])) for key in keys]
        out.append(pairs)
    return out


def column_heads(runs: list[RunData], parts: int = HEAD_PARTS) -> list[str]:
    """One head per run from the spec values that differ (`strategy=ewc, train.lr=3e-05`),
    at most `parts` of them (then `+N`); the run's label when the specs are the same.
    Heads that would repeat get ` #k`."""
    heads: list[str] = []
    for k, (pairs, label) in enumerate(zip(differing_values(runs), unique_labels(runs))):
        text = ", ".join(f"{key}={v}" for key, v in pairs[:parts]) or label
        if len(pairs) > parts:
            text += f", +{len(pairs) - parts}"
        heads.append(text if text not in heads else f"{text} #{k + 1}")
    return heads


def compare_metrics(runs: list[RunData], labels: list[str] | None = None) -> pd.DataFrame:
    """Rows: metrics (then trainable_params, wall_time_s); columns: one per run (its label,
    or `labels`, e.g. `column_heads`), then `Δ <run>` = that run minus the first run."""
    labels = unique_labels(runs) if labels is None else labels
    numbers = [run_numbers(r) for r in runs]
    names: list[str] = []
    for d in numbers:
        names += [k for k in d if k not in names and k not in EXTRA]
    names += list(EXTRA)
    table = pd.DataFrame(
        {label: [d.get(n) for n in names] for label, d in zip(labels, numbers)}, index=names
    ).astype(float)
    for label in labels[1:]:
        table[f"Δ {label}"] = table[label] - table[labels[0]]
    table.index.name = "metric"
    return table


def metric_notes(runs: list[RunData]) -> list[tuple[str, str, str]]:
    """(run label, metric, note) for every noted metric (null or uninformative) of every run."""
    return [
        (label, name, note)
        for label, run in zip(unique_labels(runs), runs)
        for name, note in (run.results.get("metric_notes") or {}).items()
    ]


def spec_differences(runs: list[RunData]) -> pd.DataFrame:
    """Spec fields (dotted) whose values differ between the runs; one column per run."""
    flat = [flatten(r.spec) for r in runs]
    keys = sorted(set().union(*flat))
    rows = {k: [f.get(k) for f in flat] for k in keys if len({repr(f.get(k)) for f in flat}) > 1}
    return pd.DataFrame.from_dict(rows, orient="index", columns=unique_labels(runs), dtype=object)


def matrices_figure(runs: list[RunData]) -> Figure:
    """Each run's accuracy matrix (initial row first), same colour scale, side by side."""
    labels = unique_labels(runs)
    per_row = min(len(runs), 3)
    n_rows = -(-len(runs) // per_row)
    T = max(len(r.tasks) for r in runs)
    fig = MplFigure(
        figsize=(per_row * (0.6 * T + 1.6), n_rows * (0.4 * (T + 1) + 1.2)), layout="constrained"
    )
    for k, (run, label) in enumerate(zip(runs, labels)):
        ax = fig.add_subplot(n_rows, per_row, k + 1)
        names = short_task_labels(run.tasks)
        M = np.vstack([run.initial[None, :], run.R]) if run.initial.size else run.R
        image = annotate_matrix(
            ax,
            M,
            matrix_rows(len(run.R), names, bool(run.initial.size)),
            names,
            label,
            diagonal_offset=1 if run.initial.size else 0,
        )
    fig.colorbar(image, ax=fig.axes, fraction=0.02, label="accuracy")
    return render_figure(
        fig,
        "compare_matrices",
        "Accuracy matrices of the compared runs (first row: before training; bold: each task "
        "just after it was learned), on the same colour scale.",
    )


def seen_accuracy_figure(runs: list[RunData]) -> Figure:
    """Mean accuracy over the tasks seen so far, after each stage, one line per run."""
    fig = MplFigure(figsize=(6.8, 3.4), layout="constrained")
    ax = fig.add_subplot()
    colors = task_colors(len(runs))
    for k, (run, label) in enumerate(zip(runs, unique_labels(runs))):
        R = run.R
        ys = [np.nanmean(R[i, : i + 1]) for i in range(min(R.shape))]
        ax.plot(range(len(ys)), ys, "-o", markersize=4, color=colors[k], label=label)
    ax.set_xlabel("after stage")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("mean accuracy, tasks seen so far")
    ax.set_ylim(-0.03, 1.03)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return render_figure(
        fig,
        "compare_seen_accuracy",
        "Mean accuracy over the tasks trained so far, after each stage.",
    )


def fmt_number(name: str, value: float, delta: bool) -> str:
    """Counts without decimals, seconds with one, metrics with three; Δ with a sign; a value
    a run does not have: `-`."""
    if value != value:  # NaN
        return UNSET
    digits = 0 if name == "trainable_params" else 1 if name == "wall_time_s" else 3
    return f"{value:{'+' if delta else ''},.{digits}f}"


def compare_page(runs: list[RunData]) -> Page:
    table = compare_metrics(runs, column_heads(runs))
    n = len(runs)
    rows = [
        [name, *(fmt_number(name, v, k >= n) for k, v in enumerate(row))]
        for name, row in table.iterrows()
    ]
    metrics = Table(["metric", *table.columns], rows, "Δ: the run minus the first run")
    notes = metric_notes(runs)
    note_table = Table(["run", "metric", "note"], [list(n) for n in notes], "metric notes")
    diff = spec_differences(runs)
    spec_rows = [[k, *(spec_value(v) for v in row)] for k, row in diff.iterrows()]
    spec_table = Table(["spec field", *diff.columns], spec_rows, "fields that differ")
    sections = [
        Section("metrics", "Metrics", [metrics, *([note_table] if notes else [])]),
        Section(
            "matrices", "Accuracy matrices", [matrices_figure(runs), seen_accuracy_figure(runs)]
        ),
        Section("spec", "Spec differences", [spec_table]),
    ]
    subtitle = " vs ".join(str(r.path) for r in runs)
    return Page(f"forgetlab compare: {len(runs)} runs", subtitle, sections)


def compare_rows(runs: list[RunData]) -> pd.DataFrame:
    """One row per run: `head` (its column head), `run` (label), `run_dir`, the spec fields
    that differ (their values as in the heads; NaN when unset), then every metric (NaN when
    null), trainable_params and wall_time_s."""
    heads = column_heads(runs)
    metrics = compare_metrics(runs, heads)
    rows = []
    for k, (run, pairs) in enumerate(zip(runs, differing_values(runs))):
        row = {"head": heads[k], "run": unique_labels(runs)[k], "run_dir": str(run.path)}
        row.update({key: (None if v == UNSET else v) for key, v in pairs})
        row.update(metrics[heads[k]].to_dict())
        rows.append(row)
    return pd.DataFrame(rows)


def write_compare_csv(runs: list[RunData], out: str | Path) -> Path:
    """`compare_rows` as CSV (`pandas.read_csv(out)`: a row per run); unset values and null
    metrics are empty cells."""
    from forgetlab.fileio import atomic_write

    atomic_write(Path(out), compare_rows(runs).to_csv(index=False, lineterminator="\n"))
    return Path(out)


def write_compare_report(runs: list[RunData], out: str | Path) -> Path:
    check_report_file(Path(out))  # a comparison belongs to no run: outside them all
    return write_pages([compare_page(runs)], Path(out))
