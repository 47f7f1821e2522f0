"""The HTML page of one dataset-inference result (reports/page.py building blocks).

write_pages([inference_page(results)], out / "report.html")
"""

from __future__ import annotations

import json

import numpy as np
from matplotlib.figure import Figure as MplFigure

from forgetlab.reports.page import Code, Figure, Page, Section, Table, Text, fmt, render_figure


def verdict_line(results: dict) -> str:
    """The one-line verdict printed by `forgetlab infer` (and the page's subtitle)."""
    v = results["verdict"]
    if results.get("false_positive"):
        head, tail = (
            ("FALSE POSITIVE", "two halves of the validation set were told apart")
            if v["trained"]
            else ("calibrated", "two halves of the validation set were not told apart")
        )
    else:
        head, tail = (
            ("TRAINED ON", "the model was trained on the suspect set")
            if v["trained"]
            else ("NOT DETECTED", "no evidence that the model was trained on the suspect set")
        )
    return (
        f"{head}: p = {v['p_value']:.3g} at {v['size']} examples per set "
        f"(alpha {v['alpha']}, {results['splits']} splits): {tail}"
    )


def p_value_figure(results: dict) -> Figure:
    fig = MplFigure(figsize=(5.6, 3.4), layout="constrained")
    ax = fig.add_subplot()
    sizes = [r["size"] for r in results["sizes"]]
    for r in results["sizes"]:
        ps = np.clip(r["split_p_values"], 1e-300, 1)
        ax.scatter([r["size"]] * len(ps), ps, s=10, color="#9bb7cc", zorder=2)
    combined = np.clip([r["p_value"] for r in results["sizes"]], 1e-300, 1)
    ax.plot(sizes, combined, "o-", color="#2a6f97", label="combined (2 x median)", zorder=3)
    ax.axhline(results["verdict"]["alpha"], color="#c0392b", ls="--", label="alpha")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("examples per set in the test (as many again fit the model)")
    ax.set_ylabel("p-value")
    ax.legend(fontsize=8)
    return render_figure(fig, "p_values", "p-value by sample size: each split (dots), combined.")


def auc_figure(results: dict) -> Figure:
    aucs = results["auc"]
    names = sorted(aucs, key=lambda f: abs(aucs[f] - 0.5))
    fig = MplFigure(figsize=(5.6, max(2.5, 0.16 * len(names) + 0.8)), layout="constrained")
    ax = fig.add_subplot()
    ax.barh(range(len(names)), [aucs[f] - 0.5 for f in names], left=0.5, color="#2a6f97")
    ax.set_yticks(range(len(names)), names, fontsize=6)
    ax.axvline(0.5, color="black", lw=0.8)
    ax.set_xlabel("ROC AUC of the feature alone (suspect = positive)")
    return render_figure(fig, "feature_auc", "Single features: 0.5 is chance.")


def inference_page(results: dict) -> Page:
    sizes = Table(
        ["examples per set", "p-value (combined)", "median split p", "splits with p < alpha"],
        [
            [fmt(r["size"]), f"{r['p_value']:.3g}", f"{r['median_p']:.3g}"]
            + [fmt(r["share_significant"], 2)]
            for r in results["sizes"]
        ],
    )
    aucs, weights = results["auc"], results["weights"]
    order = sorted(aucs, key=lambda f: -abs(aucs[f] - 0.5))
    features = Table(
        ["feature", "AUC", "linear weight"],
        [[f, fmt(aucs[f]), fmt(weights[f])] for f in order],
        caption="weights: mean over splits at the largest size, on standardised features",
    )
    settings = {k: results.get(k) for k in ("model", "adapter", "reference", "mode")}
    settings.update({k: results.get(k) for k in ("suspect_file", "validation_file", "seed")})
    dropped = results.get("dropped_features") or []
    note = [Text(f"dropped (constant or not finite): {', '.join(dropped)}")] if dropped else []
    return Page(
        title="Dataset inference",
        subtitle=verdict_line(results),
        sections=[
            Section(
                "test",
                "Test",
                [
                    Text(
                        f"{results['n_suspect']} suspect and {results['n_validation']} "
                        "validation examples. At each size n every split fits a logistic "
                        "regression on n examples of each set and tests the scores of n "
                        "others with a one-sided Welch t-test."
                    ),
                    sizes,
                    p_value_figure(results),
                ],
            ),
            Section(
                "features",
                "Features",
                [features, auc_figure(results), *note],
            ),
            Section("settings", "Settings", [Code("inputs", json.dumps(settings, indent=2))]),
        ],
    )
