"""Optional sections of a run's report (each None when the run has no such data): accuracy
by example group, membership, probing, recovery, knowledge conflicts and general ability."""

from __future__ import annotations

import numpy as np

from forgetlab.probing.summary import kind_summaries
from forgetlab.reports import figures_run
from forgetlab.reports.figures_probe import main_kind, probing_figures
from forgetlab.reports.page import Section, Table, Text, fmt
from forgetlab.reports.run_data import RunData, as_matrix


def metric_meaning(name: str) -> str:
    from forgetlab.metrics import metrics

    return metrics.help(name) if name in metrics else ""


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
