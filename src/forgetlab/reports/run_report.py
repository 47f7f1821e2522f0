"""The report of one run: what was forgotten, when, and (with probing) why.

path = write_run_report(Path("runs/quickstart/20261121-101010"))   # DIR/report.html
page = run_page(load_run(run_dir))                                  # the Page, for tests

Sections (anchors): accuracy (with the run's warnings), forgetting, exact_match (with
`eval.exact_match`), confusion (with confusion.json), groups (when results have `group_accuracy`),
probing (when they have `probing`), recovery (with `recovery`), general (when they have
`general`), cost, summary.
Figures are also written as DIR/figures/<name>.png.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from forgetlab.output_paths import check_report_file
from forgetlab.reports import figures_run
from forgetlab.reports.figures_probe import seq
from forgetlab.reports.page import Code, Page, Section, Table, Text, fmt, write_pages
from forgetlab.reports.run_data import RunData, load_run, short_task_labels
from forgetlab.reports.run_sections import (
    conflict_section,
    general_section,
    general_series,
    groups_section,
    membership_section,
    metric_meaning,
    probing_section,
    recovery_section,
)


def summary_section(run: RunData) -> Section:
    res, spec = run.results, run.spec
    model = res.get("model") or {}
    stream = spec.get("stream") or {}
    train = spec.get("train") or {}
    git = res.get("git") or {}
    rows = [
        ["model", f"{model.get('name', '?')} ({model.get('mode', '?')})"],
        [
            "trainable parameters",
            f"{fmt(model.get('trainable_params'))} of {fmt(model.get('total_params'))}",
        ],
        ["method", str(res.get("method", "?"))],
        ["strategy", " + ".join(res.get("strategies") or [])],
        ["stream", f"{res.get('stream', '?')}, {res.get('scenario', '?')}"],
        ["stream fields", ", ".join(f"{k}={v}" for k, v in stream.items() if k != "kind")],
        ["training", ", ".join(f"{k}={v}" for k, v in train.items())],
        ["seed", str(res.get("seed", "?"))],
        ["device", str(res.get("device", "?"))],
        ["status", str(res.get("status", "?"))],
        ["wall time", f"{fmt(res.get('wall_time_s'), 1)} s"],
        ["started / finished", f"{res.get('started_at')} / {res.get('finished_at')}"],
        ["git", f"{git.get('commit')} ({'dirty' if git.get('dirty') else 'clean'})"],
        ["versions", ", ".join(f"{k} {v}" for k, v in (res.get("versions") or {}).items())],
    ]
    return Section(
        "summary",
        "Run details",
        [
            Table(["field", "value"], rows),
            Code("the resolved spec (spec.toml)", run.spec_text or "(spec.toml not found)"),
        ],
    )


def tasks_table(run: RunData, labels: list[str]) -> Table:
    counts = run.results.get("test_counts") or []
    hashes = run.results.get("task_hashes") or {}
    base = run.results.get("baselines") or {}
    chance = (base.get("chance") or [[]])[-1]
    majority = base.get("majority") or []

    def at(values: list, j: int) -> str:
        return fmt(values[j]) if j < len(values) else "n/a"

    rows = [
        [labels[j], t, at(counts, j), at(chance, j), at(majority, j), hashes.get(t, "")]
        for j, t in enumerate(run.tasks)
    ]
    header = ["task", "name", "test examples", "chance (last stage)", "majority class"]
    return Table([*header, "data hash"], rows, "tasks, in stream order")


def matrix_marks(run: RunData) -> list[list[str]] | None:
    """Marks of the drawn rows (initial, then R): at or below chance / majority."""
    from forgetlab.metrics.baselines import cell_marks

    base = run.results.get("baselines")
    if not base:
        return None
    rows = [run.initial.tolist(), *run.R.tolist()] if run.initial.size else run.R.tolist()
    chance = [base["initial_chance"], *base["chance"]] if run.initial.size else base["chance"]
    return cell_marks(rows, chance, base["majority"])


def matrix_table(run: RunData, labels: list[str], marks: list[list[str]] | None) -> Table:
    """The accuracy matrix as numbers (the heatmap's values, marks included)."""
    off = 1 if run.initial.size else 0
    M = np.vstack([run.initial[None, :], run.R]) if off else run.R
    names = ["initial"] * off + [f"after {labels[i]}" for i in range(len(run.R))]
    rows = [
        [names[i]] + [fmt(v) + (marks[i][j] if marks else "") for j, v in enumerate(row)]
        for i, row in enumerate(M)
    ]
    return Table(["after", *labels], rows, "accuracy matrix (rows: initial, then each stage)")


def accuracy_section(run: RunData, labels: list[str]) -> Section:
    metrics = run.results.get("metrics") or {}
    notes = run.results.get("metric_notes") or {}
    table = Table(
        ["metric", "value", "meaning", "note"],
        [[k, fmt(v), metric_meaning(k), notes.get(k, "")] for k, v in metrics.items()],
    )
    marks = matrix_marks(run)
    blocks: list = [
        figures_run.accuracy_heatmap(run.R, run.initial, labels, marks),
        matrix_table(run, labels, marks),
        table,
        tasks_table(run, labels),
    ]
    if len(run.R) < len(run.tasks):
        blocks.insert(0, Text(f"Run not finished: {len(run.R)} of {len(run.tasks)} stages."))
    score = run.results.get("score_metric")
    if score and score != "accuracy":
        blocks.insert(
            0,
            Text(
                f"A generative stream: R holds {score} of the model's generated answers "
                "against the references (not a ranking accuracy); every metric is computed "
                "on it."
            ),
        )
    return Section("accuracy", "Accuracy matrix and metrics", blocks)


MEMORY = [("peak_rss_mb", "peak RSS MB"), ("peak_cuda_mb", "peak CUDA MB")]


def cost_section(run: RunData) -> Section:
    stages = run.stages
    # seconds per stage; None for stages `forgetlab probe` found no checkpoint of
    probing_s = [x if x is None else float(x) for x in seq((run.probing or {}).get("seconds"))]
    model = run.results.get("model") or {}
    memory = [(k, h) for k, h in MEMORY if any(s.get(k) is not None for s in stages)]
    rows = []
    for i, s in enumerate(stages):
        rows.append(
            [
                str(s.get("stage", i)),
                s.get("task", ""),
                fmt(s.get("trainable_params", model.get("trainable_params"))),
                fmt(s.get("steps")),
                fmt(s.get("examples")),
                fmt(s.get("tokens")),
                fmt(s.get("mean_loss")),
                fmt(s.get("train_s"), 1),
                fmt(sum((s.get("strategy_s") or {}).values()), 2),
                fmt(s.get("eval_s"), 1),
                fmt(probing_s[i], 1) if i < len(probing_s) and probing_s[i] is not None else "",
                *(fmt(s.get(k), 0) for k, _ in memory),
            ]
        )
    header = ["stage", "task", "trainable params", "steps", "examples", "tokens", "mean loss"]
    header += ["train s", "strategy s", "eval s", "probing s", *(h for _, h in memory)]
    blocks: list = []
    if stages:
        blocks.append(figures_run.stage_cost(stages, [x or 0.0 for x in probing_s]))
    blocks.append(Table(header, rows, "per stage (strategy seconds are part of train seconds)"))
    cost = run.results.get("strategy_cost") or {}
    if cost:
        blocks.append(
            Table(
                ["strategy", "seconds", "state bytes"],
                [
                    [k, fmt(v.get("seconds"), 2), fmt(int(v.get("state_bytes", 0)))]
                    for k, v in cost.items()
                ],
                "cost of each strategy over the run",
            )
        )
    return Section("cost", "Parameters and time per stage", blocks)


def run_page(run: RunData, slug: str = "") -> Page:
    """All sections of a run's report; sections without data are left out."""
    from forgetlab.reports.run_extras import confusion_section, exact_match_section, warnings_block

    labels = short_task_labels(run.tasks)
    res = run.results
    sections = [accuracy_section(run, labels)]
    warned = warnings_block(run)
    if warned is not None:
        sections[0].blocks.insert(0, warned)
    if len(run.R):
        by_logprob = res.get("forgetting_by_distance_logprob") or []
        blocks: list = [
            figures_run.forgetting_curves(
                run.R,
                run.initial,
                labels,
                np.array(res.get("forgetting_by_distance") or [], dtype=float),
                np.array(by_logprob, dtype=float),
            )
        ]
        if by_logprob:
            blocks.append(
                Table(
                    ["distance d", "accuracy drop", "log-likelihood drop"],
                    [
                        [str(d + 1), fmt(a), fmt(v)]
                        for d, (a, v) in enumerate(
                            zip(res.get("forgetting_by_distance") or [], by_logprob)
                        )
                    ],
                    "mean drop d stages after learning: top-1 accuracy and the gold label's "
                    "log-likelihood (nats)",
                )
            )
        sections.append(Section("forgetting", "Forgetting curves", blocks))
    for optional in (
        exact_match_section(run, labels),
        confusion_section(run),
        groups_section(run, labels),
        probing_section(run, labels),
        membership_section(run, labels),
        recovery_section(run, labels),
        conflict_section(run),
    ):
        if optional is not None:
            sections.append(optional)
    series = general_series(run)
    if series:
        sections.append(general_section(run, series, labels))
    sections += [cost_section(run), summary_section(run)]
    subtitle = (
        f"{res.get('stream', '?')} ({res.get('scenario', '?')}), {len(run.tasks)} tasks · model "
        f"{(res.get('model') or {}).get('name', '?')} · method {res.get('method', '?')} · "
        f"strategy {' + '.join(res.get('strategies') or [])} · {res.get('status', '?')} · "
        f"{run.path}"
    )
    return Page(f"forgetlab run: {run.label}", subtitle, sections, slug)


def write_run_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write RUN_DIR/report.html (or `out`) and its PNGs under figures/; return the HTML path."""
    run = load_run(run_dir)
    out = check_report_file(Path(out) if out else run.path / "report.html", sources=[run.path])
    return write_pages([run_page(run)], out)
