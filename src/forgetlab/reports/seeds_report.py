"""The report of one experiment run under several seeds (`forgetlab run --seeds N`): every
metric's mean with its 95% interval and per-seed values, the mean accuracy matrix, and a
link to each seed's own report.

path = write_seeds_report(Path("runs/seq-3seeds"))     # DIR/report.html from DIR/seeds.json
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from forgetlab.errors import RunDirError
from forgetlab.reports import figures_run
from forgetlab.reports.page import Link, Page, Section, Table, fmt, write_pages
from forgetlab.reports.run_data import as_matrix, short_task_labels

SUMMARY = "seeds.json"


def _ci(entry: dict) -> str:
    mean, low, high = entry.get("mean"), entry.get("ci95_low"), entry.get("ci95_high")
    if mean is None:
        return "n/a"
    return fmt(mean) if low is None else f"{fmt(mean)} [{fmt(low)}, {fmt(high)}]"


def seeds_page(summary: dict, root: Path, link_base: Path | None = None) -> Page:
    tasks = summary.get("tasks") or []
    labels = short_task_labels(tasks)
    notes = summary.get("metric_notes") or {}
    rows = [
        [name, _ci(e), fmt(e.get("std")), str(e.get("n")), " ".join(fmt(v) for v in e["values"])]
        + [notes.get(name, "")]
        for name, e in (summary.get("metrics") or {}).items()
    ]
    metrics = Table(
        ["metric", "mean [95% CI]", "std", "n", "per seed", "note"],
        rows,
        f"over seeds {summary.get('seeds')}: mean +- t(0.975, n-1) s / sqrt(n)",
    )
    R = summary.get("accuracy_matrix") or {}
    mean_R = as_matrix(R.get("mean") or [], len(tasks))
    initial = as_matrix((summary.get("initial_accuracy") or {}).get("mean") or [[]], len(tasks))[0]
    half = (
        as_matrix(R.get("ci95_high") or [], len(tasks))
        - as_matrix(R.get("ci95_low") or [], len(tasks))
    ) / 2
    ci_rows = [
        [f"after {labels[i]}"]
        + [
            fmt(float(m)) + ("" if np.isnan(h) else f" ± {h:.3f}")
            for m, h in zip(mean_R[i], half[i])
        ]
        for i in range(len(mean_R))
    ]
    blocks = [
        figures_run.accuracy_heatmap(mean_R, initial, labels),
        Table(["after", *labels], ci_rows, "mean accuracy ± half-width of its 95% interval"),
    ]
    base = summary.get("baselines") or {}
    if base:
        blocks.append(
            Table(
                ["task", "chance (last stage)", "majority class"],
                [
                    [labels[j], fmt((base.get("chance") or [[]])[-1][j]), fmt(base["majority"][j])]
                    for j in range(len(tasks))
                ],
                "baselines",
            )
        )
    runs = []
    for seed, run_dir in zip(summary.get("seeds", []), summary.get("run_dirs", [])):
        report = Path(run_dir) / "report.html"
        cell: str | Link = str(run_dir)
        if link_base is not None and report.is_file():
            cell = Link(str(run_dir), os.path.relpath(report, link_base))
        runs.append([str(seed), cell])
    sections = [
        Section("metrics", "Metrics over seeds", [metrics]),
        Section("accuracy", "Mean accuracy matrix", blocks),
        Section("runs", "Runs", [Table(["seed", "run"], runs, "one run directory per seed")]),
    ]
    subtitle = f"{summary.get('runs')} runs · seeds {summary.get('seeds')} · {root}"
    return Page(f"forgetlab seeds: {summary.get('name')}", subtitle, sections)


def load_summary(root: Path) -> dict:
    path = Path(root) / SUMMARY
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise RunDirError(f"{str(path)!r} is not a readable seeds summary: {e}") from None


def write_seeds_report(root: str | Path, out: str | Path | None = None) -> Path:
    root = Path(root)
    out = Path(out) if out else root / "report.html"
    return write_pages([seeds_page(load_summary(root), root, out.parent)], out)
