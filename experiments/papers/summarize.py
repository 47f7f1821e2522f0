"""Print the tables of docs/findings.md from a sweep (or seeds) directory: per configuration,
mean [95% Student-t interval] over seeds of the metrics and of the probe, geometry and
recovery figures each finding reads.

    python experiments/papers/summarize.py runs/papers/all_cil [--figures a,b,...]
    python experiments/papers/summarize.py runs/sweeps/scale-a-size-wordnet --table \
        --figures average_accuracy,average_forgetting,learning_accuracy,sep_old,overlap

Figures (old tasks = tasks 0..T-2, after the last stage):
  R_old, P_old, P0_old      model, linear probe, probe on the untrained model
  params                    the model's parameter count (scale studies)
  chance_last, majority     baselines: chance among the last stage's candidates (mean over
                            tasks), majority-class accuracy
  P_minus_R, P_minus_P0     the probe-vs-observed gap, the probe's gain over the untrained
  overlap, overlap0         old-vs-new class overlap at the last stage (above 1: overlap)
  sep_old                   mean separability of the old tasks at the last stage
  plus every metric in results.json (average_accuracy, recovery_gain, ...).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from forgetlab.sweeps.aggregate import t_interval


def _old_mean(row, T):
    vals = [v for v in (row or [])[: T - 1] if v is not None]
    return float(np.mean(vals)) if vals else None


def figures(res: dict) -> dict[str, float | None]:
    out = dict(res.get("metrics") or {})
    T = len(res["tasks"])
    R = res["accuracy_matrix"]
    out["R_old"] = _old_mean(R[-1], T)
    out["params"] = (res.get("model") or {}).get("total_params")
    base = res.get("baselines")
    if base:  # what the last row of R is compared with: chance among its candidates, majority
        out["chance_last"] = float(np.mean(base["chance"][-1]))
        out["majority"] = float(np.mean(base["majority"]))
    probing = res.get("probing")
    if probing:
        main = probing["by_probe"].get("linear") or next(iter(probing["by_probe"].values()))
        P, P0 = main["accuracy_matrix"][-1], main["baseline_accuracy_matrix"][-1]
        out["P_old"], out["P0_old"] = _old_mean(P, T), _old_mean(P0, T)
        if out["P_old"] is not None:
            out["P_minus_R"] = out["P_old"] - out["R_old"]
            out["P_minus_P0"] = out["P_old"] - out["P0_old"]
        out["overlap"] = (probing.get("overlap") or [None])[-1]
        out["overlap0"] = (probing.get("baseline_overlap") or [None])[-1]
        out["sep_old"] = _old_mean((probing.get("separability") or [[]])[-1], T)
    return out


def label(axes: dict) -> str:
    parts = []
    for k, v in axes.items():
        if isinstance(v, dict):
            v = " ".join(f"{a}={b}" for a, b in v.items())
        elif isinstance(v, str) and "/" in v:  # a model directory: its last part
            v = Path(v).name
        parts.append(f"{k}: {v}")
    return "; ".join(parts) or "all"


def _ci(values) -> str:
    present = [v for v in values if v is not None]
    if len(present) > 1 and len(set(present)) == 1:  # a constant (e.g. params): no interval
        v = present[0]
        return f"{v:,.0f}" if float(v).is_integer() else f"{v:.3f}"
    mean, _, n, low, high = t_interval(values)
    if n == 0:
        return "n/a"
    return f"{mean:.3f}" if n < 2 else f"{mean:.3f} [{low:.3f}, {high:.3f}]"


def compact(groups: dict[str, list[dict]], keys: list[str]) -> str:
    """One row per configuration: n seeds, then mean [95% CI] of each figure."""
    lines = ["| configuration | n | " + " | ".join(keys) + " |", "|---|---|" + "---|" * len(keys)]
    for name, rows in groups.items():
        cells = [_ci([r.get(k) for r in rows]) for k in keys]
        lines.append(f"| {name} | {len(rows)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", type=Path)
    ap.add_argument("--figures", default="", help="comma-separated names (default: all)")
    ap.add_argument(
        "--table",
        action="store_true",
        help="one compact row per configuration (the --figures as columns) instead of a "
        "section per configuration with every seed",
    )
    args = ap.parse_args()
    cells = json.loads((args.dir / "cells.json").read_text())["cells"]
    groups: dict[str, list[dict]] = {}
    for c in cells:
        path = args.dir / c["run_dir"] / "results.json"
        if c["status"] != "done" or not path.is_file():
            continue
        res = json.loads(path.read_text())
        groups.setdefault(label(c["axes"]), []).append({"seed": c["seed"], **figures(res)})
    wanted = [f for f in args.figures.split(",") if f]
    if args.table:
        print(compact(groups, wanted or ["average_accuracy", "average_forgetting"]))
        return
    for name, rows in groups.items():
        print(f"\n### {name} (seeds {[r['seed'] for r in rows]})\n")
        print("| figure | mean [95% CI] | per seed |")
        print("|---|---|---|")
        keys = wanted or [k for k in rows[0] if k != "seed"]
        for k in keys:
            values = [r.get(k) for r in rows]
            mean, _, n, low, high = t_interval(values)
            if n == 0:
                continue
            ci = f"{mean:.3f}" if n < 2 else f"{mean:.3f} [{low:.3f}, {high:.3f}]"
            each = " ".join("n/a" if v is None else f"{v:.3f}" for v in values)
            print(f"| {k} | {ci} | {each} |")


if __name__ == "__main__":
    main()
