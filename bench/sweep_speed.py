"""Sweep throughput: the same 4-cell sweep with `--workers 1` and `--workers 2`, side by side.

    .venv/bin/python bench/sweep_speed.py [--small] [--write]

Each cell is a tiny-bert run on a WordNet class-incremental stream (3 tasks x 2 classes);
cells differ only by seed. `--workers 1` gives the one worker every core; `--workers 2`
gives each worker half. Prints the wall time of each sweep, the speedup, and checks that
both sweeps produced the same metrics (threads per worker do not change the numbers much,
so the check is to 2 decimals).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tomli_w
from common import command_line, describe_machine, write_section

BASE = {
    "name": "sweep-bench",
    "model": {"name": "tiny-bert"},
    "stream": {
        "kind": "wordnet-cil",
        "n_tasks": 3,
        "classes_per_task": 2,
        "train_per_class": 200,
        "test_per_class": 40,
    },
    "train": {"epochs": 3, "batch_size": 16, "lr": 2e-3, "checkpoint": "none"},
}


def run_sweep(sweep: Path, out: Path, workers: int) -> float:
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "forgetlab", "sweep", str(sweep), "--workers", str(workers)]
    subprocess.run([*cmd, "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def metrics(out: Path) -> list[float]:
    cells = json.loads((out / "cells.json").read_text())
    cells = cells["cells"] if isinstance(cells, dict) else cells
    runs = sorted(out / c["run_dir"] for c in cells)
    return [
        json.loads((r / "results.json").read_text())["metrics"]["average_accuracy"] for r in runs
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="fewer examples: a quick check")
    ap.add_argument("--write", action="store_true", help="replace the section in RESULTS.md")
    args, _ = ap.parse_known_args()
    base = json.loads(json.dumps(BASE))
    if args.small:
        base["stream"].update(train_per_class=30, test_per_class=10)
        base["train"]["epochs"] = 1
    tmp = Path(tempfile.mkdtemp(prefix="forgetlab-sweep-bench-"))
    sweep = tmp / "sweep.toml"
    sweep.write_text(tomli_w.dumps({"name": "bench", "base": base, "seeds": [0, 1, 2, 3]}))
    t1 = run_sweep(sweep, tmp / "w1", 1)
    t2 = run_sweep(sweep, tmp / "w2", 2)
    m1, m2 = metrics(tmp / "w1"), metrics(tmp / "w2")
    same = [round(a, 2) == round(b, 2) for a, b in zip(m1, m2)]
    body = "\n".join(
        [
            f"`{command_line()}`",
            "",
            describe_machine(),
            "",
            "| sweep (4 tiny-bert cells) | wall s |",
            "|---|---|",
            f"| --workers 1 (all cores to one cell) | {t1:.1f} |",
            f"| --workers 2 (half the cores each) | {t2:.1f} |",
            "",
            f"speedup {t1 / t2:.2f}x; average accuracy per cell (1 worker) "
            f"{[round(x, 3) for x in m1]}, (2 workers) {[round(x, 3) for x in m2]}; "
            f"equal to 2 decimals: {sum(same)}/{len(same)}",
        ]
    )
    print(body)
    if args.write:
        write_section("Sweep: 2 workers vs 1" + (" (--small)" if args.small else ""), body)


if __name__ == "__main__":
    main()
