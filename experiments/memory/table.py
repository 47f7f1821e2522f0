"""The memory sweep table: per group of axis values, mean [95% t interval] over seeds.

    python experiments/memory/table.py runs/sweeps/memory_wordnet [more sweep dirs]

Columns: average accuracy, average forgetting, learning accuracy (from R), stored bytes (the
strategies' fitted state: `strategy_cost.*.state_bytes`), seconds in the strategies' loop hooks
(`strategy_cost.*.seconds`: A-GEM's reference gradients, kNN embedding), retrieval seconds
(`strategy_info.*.retrieval_s`), wall time per run (on a shared machine: load-dependent), and on a
knowledge-update stream the final stage's `knowledge` groups: revised facts whose new version
beats the old (`old_win`) and wins among its relation's objects (`win`), unrevised and other
facts that still win, with the majority-object baseline of each. Prints Markdown.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

import forgetlab
from forgetlab.sweeps.aggregate import t_interval

R_METRICS = {
    "average_accuracy": "avg acc",
    "average_forgetting": "forgetting",
    "learning_accuracy": "learning acc",
}
KNOWLEDGE = {
    ("revised", "old_win"): "revised: new beats old",
    ("revised", "win"): "revised: new wins",
    ("unrevised", "win"): "unrevised win",
    ("other", "win"): "other win",
    ("revised", "majority_win"): "majority: revised",
    ("unrevised", "majority_win"): "majority: unrevised",
    ("other", "majority_win"): "majority: other",
}


def label(value) -> str:
    """An axis value as a short name: strategies by kind ("er+knn"), else the value."""
    try:
        v = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return str(value)
    if isinstance(v, dict) and "kind" in v:
        return v["kind"]
    if isinstance(v, list) and all(isinstance(x, dict) for x in v):
        return "+".join(x["kind"] for x in v)
    return str(v)


def cell_row(run_dir: str) -> dict:
    r = json.loads((Path(run_dir) / "results.json").read_text())
    retrieval = [sum(i.get("retrieval_s", [])) for i in r["strategy_info"].values()]
    row = {
        "stored bytes": sum(c["state_bytes"] for c in r["strategy_cost"].values()),
        "hooks (s)": sum(c["seconds"] for c in r["strategy_cost"].values()),
        "retrieval (s)": sum(retrieval),
        "time (s)": r["wall_time_s"],
    }
    final = (r.get("knowledge_updates") or {}).get("final")
    if final:
        for (group, key), name in KNOWLEDGE.items():
            row[name] = final[group].get(key)
    return row


def fmt(values, digits: int) -> str:
    mean, _, n, lo, hi = t_interval(values)
    if n == 0:
        return "n/a"
    if n == 1:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def table(sweep_dir: str) -> str:
    sweep = forgetlab.load_sweep(sweep_dir)
    done = sweep.cells[sweep.cells["status"] == "done"].copy()
    extra = pd.DataFrame([cell_row(d) for d in done["run_dir"]], index=done.index)
    done = pd.concat([done, extra], axis=1)
    columns = [*R_METRICS.values(), "stored bytes", "hooks (s)", "retrieval (s)", "time (s)"]
    columns += [k for k in KNOWLEDGE.values() if k in done]
    done = done.rename(columns=R_METRICS)
    head = " / ".join(sweep.axes) or "run"
    lines = [f"| {head} | seeds | " + " | ".join(columns) + " |"]
    lines.append("|" + "---|" * (len(columns) + 2))
    for key, g in done.groupby(sweep.axes, sort=False) if sweep.axes else [((), done)]:
        key = key if isinstance(key, tuple) else (key,)
        name = " / ".join(label(k) for k in key) or "all"
        cells = []
        for c in columns:
            digits = {"stored bytes": 0, "time (s)": 0, "hooks (s)": 1, "retrieval (s)": 2}.get(
                c, 3
            )
            cells.append(fmt(g[c].tolist(), digits))
        lines.append(f"| {name} | {len(g)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    for d in sys.argv[1:]:
        print(f"### {Path(d).name}\n")
        print(table(d))
        print()
