"""Run several experiment specs one after the other and print their figures side by side.

    .venv/bin/python bench/compare_runs.py experiments/methods/*.toml [--set train.epochs=1]

Prints, per spec: method, strategy, trainable fraction, average accuracy, learning accuracy,
average forgetting, BWT and wall time. Runs go to runs/bench/<name>.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import forgetlab


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("specs", nargs="+", type=Path)
    ap.add_argument("--set", dest="sets", action="append", default=[])
    ap.add_argument("--out", type=Path, default=Path("runs/bench"))
    args = ap.parse_args()
    rows = []
    for path in args.specs:
        spec = forgetlab.load_spec(path, args.sets)
        t0 = time.perf_counter()
        res = forgetlab.run(spec, out=args.out / spec.name, overwrite=True)
        wall = time.perf_counter() - t0
        r, m = res.results, res.metrics
        rows.append(
            (
                spec.name,
                r.method,
                "+".join(r.strategies),
                r.model.trainable_fraction,
                m["average_accuracy"],
                m["learning_accuracy"],
                m["average_forgetting"],
                m["bwt"],
                wall,
            )
        )
        print(f"done {spec.name}: {wall:.1f} s", flush=True)
    head = (
        "spec",
        "method",
        "strategy",
        "trainable",
        "avg_acc",
        "learn_acc",
        "forget",
        "bwt",
        "wall_s",
    )
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for name, meth, strat, frac, aa, la, fg, bwt, wall in rows:
        print(
            f"| {name} | {meth} | {strat} | {frac:.4%} | {aa:.3f} | {la:.3f} | {fg:.3f} | "
            f"{bwt:.3f} | {wall:.1f} |"
        )


if __name__ == "__main__":
    main()
