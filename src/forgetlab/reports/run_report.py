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
from forgetlab.probing.summary import kind_summaries
from forgetlab.reports import figures_run
from forgetlab.reports.figures_probe import main_kind, probing_figures, seq
from forgetlab.reports.page import Code, Page, Section, Table, Text, fmt, write_pages
from forgetlab.reports.run_data import RunData, as_matrix, load_run, short_task_labels


def metric_meaning(name: str) -> str:
    from forgetlab.metrics import metrics

    return metrics.help(name) if name in metrics else ""


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


def groups_section(run: RunData, labels: list[str]) -> Section | None:
    """Accuracy per example group (head/torso/tail, overwritten/untouched) across stages."""
    per_stage = [s.get("group_accuracy") or {} for s in run.stages]
    if not any(per_stage):
        return None
    keys = []
    for g in per_stage:
        keys += [(t, grp) for t, d in g.items() for grp in d if (t, grp) not in keys]
    order = {t: j for j, t in enumerate(run.tasks)}
    keys.sort(key=lambda k: (order.get(k[0], len(order)), k[1]))
    rows = [
        [labels[order[t]] if t in order else t, grp]
        + [fmt((g.get(t) or {}).get(grp)) for g in per_stage]
        for t, grp in keys
    ]
    header = ["task", "group"] + [f"after {labels[i]}" for i in range(len(per_stage))]
    caption = "accuracy on each group of test examples after each stage"
    return Section("groups", "Accuracy by example group", [Table(header, rows, caption)])


def membership_section(run: RunData, labels: list[str]) -> Section | None:
    """R beside the membership p-values M (and P with probing): three views of each task."""
    from forgetlab.reports.figures_membership import membership_figure

    mem = run.results.get("membership")
    if not mem or not mem.get("p_value_matrix"):
        return None
    T = len(run.tasks)
    M = as_matrix(mem["p_value_matrix"], T)
    probing = run.probing
    P = as_matrix(probing["accuracy_matrix"], T) if probing else None
    fig = membership_figure(run.R[: len(M)], M, labels, mem.get("alpha", 0.05), P)
    return Section("membership", "Membership: does the model still carry each task's data?", [fig])


def probing_section(run: RunData, labels: list[str]) -> Section | None:
    probing = run.probing
    if not probing:
        return None
    blocks: list = list(probing_figures(run.R, probing, labels))
    summaries = kind_summaries(probing, run.results.get("accuracy_matrix"))
    if summaries:
        first = summaries[0]
        on = ", ".join(labels[j] if j < len(labels) else str(j) for j in first.tasks)
        rows = [
            [
                s.kind,
                fmt(s.best_layer),
                fmt(s.R),
                fmt(s.P),
                fmt(s.P_best),
                fmt(s.P0),
                fmt(s.gap_R),
                fmt(s.gap_P0),
                _counts(s.above_R, s.below_R, len(s.tasks)),
                _counts(s.above_P0, s.below_P0, len(s.tasks)),
            ]
            for s in summaries
        ]
        header = ["probe", "best layer", "R", "P last layer", "P best layer", "P0"]
        header += ["P - R", "P - P0", "P vs R", "P vs P0"]
        blocks.append(
            Table(
                header,
                rows,
                f"after stage {first.stage}, every column averaged over the same tasks ({on}); "
                "best layer chosen on validation rows of the training split; P vs R / P vs "
                "P0: tasks where P is higher / lower at p < 0.05 (paired bootstrap over test "
                "examples and subsamples) of all tasks",
            )
        )
        blocks.append(per_task_table(first, labels))
    transfer = run.results.get("probe_transfer")
    if transfer:
        rows = [
            [labels[j], fmt(a), fmt(z), fmt(g)]
            for j, (a, z, g) in enumerate(
                zip(
                    transfer.get("ahead", []),
                    transfer.get("baseline", []),
                    transfer.get("gain", []),
                )
            )
        ]
        blocks.append(
            Table(
                ["task", "P[j-1][j] (before its stage)", "P0[j] (untrained)", "gain"],
                rows,
                f"forward transfer read by a linear probe on layer {transfer.get('layer')} "
                "(mean gain over tasks 1.. = metrics.probe_fwt)",
            )
        )
    pooling = probing.get("pooling")
    layers = probing.get("layers")
    k = probing.get("subsamples") or 1
    blocks.insert(
        0,
        Text(
            f"Probes fitted on frozen features after every stage (pooling {pooling}, layers "
            f"{layers}); the main probe is {main_kind(probing) or 'linear'}. Each cell is the "
            f"mean of {k} probe{'s' * (k != 1)} fit on different subsamples of "
            f"{probing.get('train_per_class') or '?'} training examples per class, with "
            "its 95% interval over them; the same rows of the untrained model give P0."
        ),
    )
    return Section("probing", "Probing: representation vs classifier", blocks)


def _counts(above: int | None, below: int | None, n: int) -> str:
    return "n/a" if above is None else f"+{above} -{below} of {n}"


def conflict_section(run: RunData) -> Section | None:
    """Facts conflicts: margins of the original facts before and after the last task."""
    conflict = run.results.get("conflict")
    if not conflict:
        return None
    stages = conflict.get("stages") or []
    rows = []
    for task, groups in (conflict.get("by_task") or {}).items():
        for g, d in groups.items():
            m, a = d.get("margin") or [], d.get("accuracy_excl_new") or []
            change = m[1] - m[0] if len(m) == 2 else None
            rows.append(
                [task, g, str(d.get("n")), *(fmt(x) for x in m), fmt(change)]
                + [*(fmt(x) for x in a), fmt(d.get("majority"))]
            )
    header = ["task", "group", "n"] + [f"margin after {s}" for s in stages] + ["change"]
    header += [f"top-1 excl. new after {s}" for s in stages] + ["majority object"]
    change = conflict.get("margin_change") or {}
    caption = (
        f"last task: {conflict.get('last_task')}; margin = log p(original) - best other "
        "candidate, the new object excluded; mean change: "
        + ", ".join(f"{g} {fmt(v)}" for g, v in change.items())
    )
    return Section("conflict", "Knowledge conflict", [Table(header, rows, caption)])


def recovery_section(run: RunData, labels: list[str]) -> Section | None:
    """Relearning: per measured stage and old task, R, the accuracy after k steps of
    relearning, the untrained model's after the same k steps, and the savings."""
    rec = run.results.get("recovery")
    if not rec:
        return None
    T = len(labels)
    acc = as_matrix(rec.get("accuracy_matrix") or [], T)
    base = as_matrix(rec.get("baseline_accuracy_matrix") or [], T)
    P = as_matrix((run.probing or {}).get("accuracy_matrix") or [], T)
    rows = []
    for i in range(len(acc)):
        for j in range(T):
            if np.isnan(acc[i, j]):
                continue
            probe = P[i, j] if i < len(P) else float("nan")
            rows.append(
                [
                    labels[i] if i < T else str(i),
                    labels[j],
                    fmt(float(run.R[i, j])) if i < len(run.R) else "n/a",
                    fmt(float(probe)),
                    fmt(float(acc[i, j])),
                    fmt(float(base[i, j])),
                    fmt(float(acc[i, j] - base[i, j])),
                ]
            )
    header = ["after", "task", "R (expressed)", "probe P (decodable)", "after k steps"]
    caption = (
        f"relearning each old task for {rec.get('steps')} steps on "
        f"{rec.get('examples_per_task')} of its training examples; savings = recovered minus "
        "the untrained model after the same steps"
    )
    return Section(
        "recovery",
        "Recovery: expressed, decodable, relearnable",
        [Table([*header, "untrained + k steps", "savings"], rows, caption)],
    )


def _ci(interval) -> str:
    return "" if not interval else f" [{interval[0]:.3f}, {interval[1]:.3f}]"


def _test(test) -> str:
    if not test:
        return "n/a"
    return f"{test['diff']:+.3f} [{test['low']:+.3f}, {test['high']:+.3f}], p={test['p']:.3g}"


def per_task_table(s, labels: list[str]) -> Table:
    """The main probe, task by task: P and P0 with their intervals, the paired tests."""
    rows = [
        [
            labels[t["task"]] if t["task"] < len(labels) else str(t["task"]),
            fmt(t["R"]),
            fmt(t["P"]) + _ci(t["P_interval"]),
            fmt(t["P0"]) + _ci(t["P0_interval"]),
            _test(t["vs_R"]),
            _test(t["vs_P0"]),
        ]
        for t in s.per_task
    ]
    return Table(
        ["task", "R", "P [95% interval]", "P0 [95% interval]", "P - R", "P - P0"],
        rows,
        f"{s.kind} probe at the last layer after stage {s.stage}, per task: intervals over "
        "subsamples; differences with their 95% paired-bootstrap interval and p-value",
    )


def general_series(run: RunData) -> dict[str, list]:
    """General-ability figures as {name: [value per evaluation point]}, from either layout
    (the `general` observer's: `general.series`, one value before training then per stage)."""
    general = run.results.get("general")
    series: dict[str, list] = {}
    if isinstance(general, dict) and isinstance(general.get("series"), dict):
        return {k: list(v) for k, v in general["series"].items() if isinstance(v, list)}
    if isinstance(general, dict):
        for name, values in general.items():
            if isinstance(values, list) and all(
                v is None or isinstance(v, int | float) for v in values
            ):
                series[name] = values
    elif isinstance(general, list):
        for point in general:
            for name, v in (point or {}).items():
                if isinstance(v, int | float):
                    series.setdefault(name, []).append(v)
    for stage in run.stages:
        for name, v in (stage.get("general") or {}).items():
            if isinstance(v, int | float):
                series.setdefault(name, []).append(v)
    return series


def seen_mean(run: RunData) -> list[float | None]:
    """Mean of R over the tasks seen so far at each point: before training (all tasks, the
    zero-shot score), then after each stage (tasks 0..i)."""
    out: list[float | None] = [float(np.nanmean(run.initial)) if len(run.initial) else None]
    for i, row in enumerate(run.R):
        out.append(float(np.nanmean(row[: i + 1])))
    return out


def general_section(run: RunData, series: dict[str, list], labels: list[str]) -> Section:
    """General ability beside R: the stream's mean score on seen tasks and each general
    figure, before training and after every stage, with the table of values."""
    general = run.results.get("general") if isinstance(run.results.get("general"), dict) else {}
    metric = run.results.get("score_metric") or "accuracy"
    points = ["before"] + [f"after {labels[i]}" for i in range(len(run.R))]
    blocks: list = [
        figures_run.general_curves(series, seen_mean(run), metric, points),
    ]
    rows = [[name] + [fmt(v) for v in values] for name, values in series.items()]
    blocks.append(Table(["figure", *points[: max(len(v) for v in series.values())]], rows))
    facts = []
    if general.get("text_source"):
        facts.append(f"perplexity on {general.get('texts')} texts: {general['text_source']}")
    if general.get("unseen_tasks"):
        facts.append("unseen tasks (never trained): " + ", ".join(general["unseen_tasks"]))
    for name in ("general_ppl_increase", "unseen_task_drop"):
        if general.get(name) is not None:
            facts.append(f"{name} = {fmt(general[name])} ({metric_meaning(name)})")
    if facts:
        blocks.insert(0, Text("; ".join(facts) + "."))
    return Section("general", "General ability", blocks)


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
