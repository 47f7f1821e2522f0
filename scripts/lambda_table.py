"""A regulariser's lambda sweep as a markdown table: mean and 95% interval over seeds of the
average accuracy, learning accuracy, forgetting and the last task's accuracy, per lambda;
the best lambda by mean average accuracy.

    python scripts/lambda_table.py runs/sweeps/ewc_lambda [--axis strategy.lambda_]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from forgetlab.sweeps import load_sweep
from forgetlab.sweeps.aggregate import t_interval

COLUMNS = {
    "average_accuracy": "average accuracy",
    "learning_accuracy": "learning accuracy",
    "average_forgetting": "forgetting",
    "last_task": "last task (R[T-1][T-1])",
}


def last_task(run_dir: str) -> float:
    R = json.loads((Path(run_dir) / "results.json").read_text())["accuracy_matrix"]
    return float(R[-1][-1])


def cell(values) -> str:
    mean, _, n, lo, hi = t_interval(values)
    return f"{mean:.3f} [{lo:.3f}, {hi:.3f}]" if n > 1 else f"{mean:.3f} (n={n})"


def table(sweep_dir: str, axis: str) -> tuple[str, float]:
    cells = load_sweep(sweep_dir).cells
    done = cells[cells["status"] == "done"].copy()
    done["last_task"] = [last_task(d) for d in done["run_dir"]]
    rows, best = [], (-1.0, None)
    for value, group in sorted(done.groupby(axis), key=lambda kv: kv[0]):
        rows.append(
            f"| {value:g} | {len(group)} | " + " | ".join(cell(group[c]) for c in COLUMNS) + " |"
        )
        mean = float(group["average_accuracy"].mean())
        best = max(best, (mean, value))
    head = f"| {axis} | seeds | " + " | ".join(COLUMNS.values()) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 2), *rows]
    return "\n".join(lines), best[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sweep_dir")
    ap.add_argument("--axis", default="strategy.lambda_")
    args = ap.parse_args()
    text, best = table(args.sweep_dir, args.axis)
    print(text)
    print(f"\nbest {args.axis} by mean average accuracy: {best:g}")


if __name__ == "__main__":
    main()
