"""The audit's HTML report: the findings in words, then figures and tables with intervals.

write_audit_report(Path("audits/seq"))      # OUT/report.html + OUT/figures/*.png
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure as MplFigure

from forgetlab.errors import RunDirError
from forgetlab.reports.page import (
    Code,
    Figure,
    Page,
    Section,
    Table,
    Text,
    fmt,
    render_figure,
    write_pages,
)


def _nan(v) -> float:
    return float("nan") if v is None else float(v)


def layers_figure(res: dict) -> Figure | None:
    weights = [w for w in res.get("weights") or [] if w.get("layer") is not None]
    cka = res.get("cka") or []
    if not weights and not cka:
        return None
    fig = MplFigure(figsize=(9, 3.0))
    ax = fig.add_subplot(1, 2, 1)
    ax.bar([w["layer"] for w in weights], [_nan(w["relative_change"]) for w in weights])
    ax.set_xticks([w["layer"] for w in weights])
    ax.set_xlabel("layer (0 = embeddings, k = block k-1)")
    ax.set_title("relative weight change, tuned vs base", fontsize=10)
    ax.grid(alpha=0.3, axis="y")
    ax = fig.add_subplot(1, 2, 2)
    if cka:
        x = np.array([c["layer"] for c in cka])
        y = np.array([_nan(c["value"]) for c in cka])
        lo = np.array([_nan(c["low"]) for c in cka])
        hi = np.array([_nan(c["high"]) for c in cka])
        ax.errorbar(x, y, yerr=[y - lo, hi - y], fmt="-o", markersize=3, capsize=3)
        ax.set_xticks(x)
    ax.set_ylim(min(0.0, *(np.nan_to_num([c["value"] for c in cka], nan=0.0))), 1.05)
    ax.set_xlabel("layer")
    ax.set_title("linear CKA, base vs tuned (95% CI)", fontsize=10)
    ax.grid(alpha=0.3)
    fig.subplots_adjust(wspace=0.3)
    return render_figure(
        fig,
        "audit_layers",
        "Where the models differ: the relative change of each layer's weights, and the "
        "similarity (linear CKA) of each layer's representation of the same texts; bars are "
        "95% bootstrap intervals over the texts.",
    )


def probes_figure(res: dict) -> Figure | None:
    probe = res.get("probe") or {}
    if not probe:
        return None
    fig = MplFigure(figsize=(min(4 * len(probe), 12), 3.0))
    for i, (task, entry) in enumerate(probe.items()):
        ax = fig.add_subplot(1, len(probe), i + 1)
        rows = entry["layers"]
        x = [r["layer"] for r in rows]
        for who, color in (("base", "C0"), ("tuned", "C1")):
            y = [r[who] for r in rows]
            ax.plot(x, y, "-o", color=color, markersize=3, label=who)
            ax.fill_between(
                x, [r[f"{who}_low"] for r in rows], [r[f"{who}_high"] for r in rows],
                color=color, alpha=0.15,
            )  # fmt: skip
        ax.set_title(task if len(task) < 40 else task[:37] + "...", fontsize=9)
        ax.set_xticks(x)
        ax.set_xlabel("layer")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        if i == 0:
            ax.set_ylabel("linear-probe accuracy")
            ax.legend(fontsize=8)
    fig.subplots_adjust(wspace=0.3)
    return render_figure(
        fig,
        "audit_probes",
        "Linear-probe accuracy of each layer on the same tasks, base vs tuned (bands: Wilson "
        "95% intervals).",
    )


def general_figure(res: dict) -> Figure | None:
    ppl, unseen = res.get("perplexity") or {}, res.get("unseen") or {}
    if not ppl and not unseen:
        return None
    panels = [p for p in (ppl, unseen) if p]
    fig = MplFigure(figsize=(5.0 * len(panels), 0.5 + 0.45 * max(len(p) for p in panels) + 1.2))
    k = 1
    if ppl:
        ax = fig.add_subplot(1, len(panels), k)
        names = list(ppl)
        r = np.array([ppl[n]["ratio"] for n in names])
        lo = np.array([_nan(ppl[n]["low"]) for n in names])
        hi = np.array([_nan(ppl[n]["high"]) for n in names])
        ax.errorbar(r, range(len(names)), xerr=[r - lo, hi - r], fmt="o", capsize=3)
        ax.axvline(1.0, color="grey", lw=0.8)
        if np.nanmax(hi) > 10 or np.nanmin(lo) < 0.1:
            ax.set_xscale("log")
        ax.set_yticks(range(len(names)), names)
        ax.set_ylim(-0.6, len(names) - 0.4)
        ax.set_title("perplexity, tuned / base (95% CI)", fontsize=10)
        k += 1
    if unseen:
        ax = fig.add_subplot(1, len(panels), k)
        names = list(unseen)
        d = np.array([unseen[n]["difference"] for n in names])
        lo = np.array([_nan(unseen[n]["low"]) for n in names])
        hi = np.array([_nan(unseen[n]["high"]) for n in names])
        ax.errorbar(d, range(len(names)), xerr=[d - lo, hi - d], fmt="o", capsize=3)
        ax.axvline(0.0, color="grey", lw=0.8)
        ax.set_yticks(range(len(names)), [n if len(n) < 24 else n[:21] + "..." for n in names])
        ax.set_ylim(-0.6, len(names) - 0.4)
        ax.set_title("held-out task accuracy, tuned - base", fontsize=10)
    fig.subplots_adjust(wspace=0.9)
    return render_figure(
        fig,
        "audit_general",
        "General ability: perplexity by text domain (ratio) and accuracy on held-out tasks "
        "(difference), with paired bootstrap 95% intervals.",
    )


def _ci(low, high) -> str:
    return f"{fmt(low)} to {fmt(high)}"


def audit_page(res: dict, path: Path) -> Page:
    sections = [
        Section("findings", "Findings", [Text(s) for s in res.get("findings") or []]),
    ]
    blocks: list = [f for f in (layers_figure(res),) if f]
    blocks.append(
        Table(
            ["layer", "parameters", "relative change", "changed", "unmatched"],
            [
                [w["name"], fmt(w["params"]), fmt(w["relative_change"], 4)]
                + [fmt(w["changed_params"]), fmt(w["unmatched_params"])]
                for w in res.get("weights") or []
            ],
            "weights per layer (unmatched: parameters only one model has, e.g. adapters)",
        )
    )
    if res.get("cka"):
        blocks.append(
            Table(
                ["layer", "CKA", "95% CI"],
                [[str(c["layer"]), fmt(c["value"]), _ci(c["low"], c["high"])] for c in res["cka"]],
                "linear CKA of each layer, base vs tuned, on the probe tasks' test texts",
            )
        )
    sections.append(Section("layers", "Layers: weights and representations", blocks))
    if res.get("probe"):
        rows = [
            [task, str(r["layer"]), fmt(r["base"]), fmt(r["tuned"]), fmt(r["difference"])]
            + [_ci(r["low"], r["high"]), str(r["n"])]
            for task, entry in res["probe"].items()
            for r in entry["layers"]
        ]
        sections.append(
            Section(
                "probes",
                "Linear probes per layer",
                [
                    f
                    for f in (
                        probes_figure(res),
                        Table(
                            ["task", "layer", "base", "tuned", "difference", "95% CI", "n"], rows
                        ),
                    )
                    if f
                ],
            )
        )
    blocks = [f for f in (general_figure(res),) if f]
    if res.get("perplexity"):
        blocks.append(
            Table(
                ["domain", "texts", "base ppl", "tuned ppl", "ratio", "95% CI"],
                [
                    [d, fmt(p["texts"]), fmt(p["base"], 2), fmt(p["tuned"], 2), fmt(p["ratio"])]
                    + [_ci(p["low"], p["high"])]
                    for d, p in res["perplexity"].items()
                ],
                "perplexity by text domain",
            )
        )
    if res.get("unseen"):
        blocks.append(
            Table(
                ["held-out task", "n", "base", "tuned", "difference", "95% CI"],
                [
                    [t, fmt(u["n"]), fmt(u["base"]), fmt(u["tuned"]), fmt(u["difference"])]
                    + [_ci(u["low"], u["high"])]
                    for t, u in res["unseen"].items()
                ],
                "accuracy on multiple-choice tasks never trained (log-likelihood ranking)",
            )
        )
    lm = res.get("lm_eval")
    if lm and "skipped" not in lm:
        blocks.append(
            Table(
                ["lm-eval task", "metric", "base", "tuned", "difference", "95% CI"],
                [
                    [t, m, fmt(v["base"]), fmt(v["tuned"]), fmt(v["difference"])]
                    + [_ci(v["low"], v["high"])]
                    for t, ms in lm.items()
                    for m, v in ms.items()
                ],
                "lm-evaluation-harness (interval from its standard errors)",
            )
        )
    elif lm:
        blocks.append(Text(f"lm-eval: {lm['skipped']}."))
    if blocks:
        sections.append(Section("general", "General ability", blocks))
    top = res.get("top_examples") or []
    if top:
        sections.append(
            Section(
                "examples",
                "Examples whose loss grew most",
                [
                    Table(
                        ["where", "text", "base loss", "tuned loss", "increase"],
                        [
                            [e["where"], e["text"][:160], fmt(e["base_loss"]), fmt(e["tuned_loss"])]
                            + [fmt(e["increase"])]
                            for e in top
                        ],
                        "mean next-token loss (nats per token; unseen items: the answer's loss)",
                    )
                ],
            )
        )
    models = [[who, json.dumps(res[who], default=str)] for who in ("base", "tuned") if who in res]
    sections.append(
        Section(
            "details",
            "Models and suite",
            [
                Table(["model", "details"], models),
                Code("the suite", json.dumps(res.get("suite"), indent=2)),
            ],
        )
    )
    subtitle = (
        f"{res['base']['label']} vs {res['tuned']['label']} · {res.get('device')} · "
        f"{fmt(res.get('wall_time_s'), 1)} s · {path}"
    )
    return Page("forgetlab audit", subtitle, sections)


def write_audit_report(out_dir: str | Path) -> Path:
    """OUT/report.html from OUT/results.json (and the figures as PNGs)."""
    out_dir = Path(out_dir)
    try:
        res = json.loads((out_dir / "results.json").read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise RunDirError(f"{str(out_dir)!r} holds no readable audit results.json: {e}") from None
    if res.get("kind") != "audit":
        raise RunDirError(f"{str(out_dir)!r} is not an audit directory")
    return write_pages([audit_page(res, out_dir)], out_dir / "report.html")
