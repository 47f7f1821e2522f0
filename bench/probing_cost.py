"""Probing cost inside real runs: training vs probing seconds, and R beside P and P0.

    .venv/bin/python bench/probing_cost.py [--small] [--write] [--strategies seq seq_star]

Runs experiments/probing/seq_probe.toml (the quickstart with `[probe]`: every layer, all four
probe kinds, the untrained baseline) once per strategy, each in a fresh process, and reads
its results.json: per-stage train, eval and probing seconds, the share probing adds to the
run, and the last row of R (the model), P and P0 (linear probe, last layer and best layer).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from common import BENCH, command_line, describe_machine, write_section

SPEC = BENCH.parent / "experiments" / "probing" / "seq_probe.toml"


def fmt(row) -> str:
    return " ".join("  -  " if v is None else f"{v:.3f}" for v in row)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="2 tasks, fewer examples")
    ap.add_argument("--write", action="store_true", help="replace the section in RESULTS.md")
    ap.add_argument("--strategies", nargs="+", default=["seq", "seq_star"])
    args, _ = ap.parse_known_args()
    lines = [f"`{command_line()}`", "", describe_machine(), ""]
    for kind in args.strategies:
        out = Path(tempfile.mkdtemp(prefix="forgetlab-probe-bench-")) / kind
        sets = ["--set", f"strategy.kind={kind!r}".replace("'", '"')]
        if args.small:
            sets += ["--set", "stream.n_tasks=2", "--set", "stream.train_per_class=40"]
            sets += ["--set", "stream.test_per_class=10", "--set", "train.epochs=1"]
        cmd = [sys.executable, "-m", "forgetlab", "run", str(SPEC), "--quiet", "--out", str(out)]
        subprocess.run([*cmd, *sets], check=True, stdout=subprocess.DEVNULL)
        res = json.loads((out / "results.json").read_text())
        probing = res["probing"]
        train = sum(s["train_s"] for s in res["stages"])
        evals = res["initial_eval_s"] + sum(s["eval_s"] for s in res["stages"])
        probe = sum(probing["seconds"]) + probing.get("baseline_seconds", 0.0)
        linear = probing["by_probe"]["linear"]
        proto = probing["by_probe"]["prototype"]
        lines += [
            f"### {kind}",
            "",
            "| seconds | train | eval | probing (all layers, 4 probes, baseline) | probing / train"
            " | probing / run |",
            "|---|---|---|---|---|---|",
            f"| | {train:.1f} | {evals:.1f} | {probe:.1f} | {probe / train:.1%} "
            f"| {probe / res['wall_time_s']:.1%} |",
            "",
            "| after the last stage, per task | accuracy |",
            "|---|---|",
            f"| R (the model's own head) | {fmt(res['accuracy_matrix'][-1])} |",
            f"| P linear, last layer | {fmt(linear['accuracy_matrix'][-1])} |",
            f"| P0 linear, last layer | {fmt(linear['baseline_accuracy_matrix'][-1])} |",
            f"| P linear, best layer | {fmt(linear['best_layer_accuracy_matrix'][-1])} |",
            f"| P prototype, last layer | {fmt(proto['accuracy_matrix'][-1])} |",
            f"| P0 prototype, last layer | {fmt(proto['baseline_accuracy_matrix'][-1])} |",
            "",
            f"layers {probing['layers']}; best layer per stage (linear) {linear['best_layer']}",
            "",
        ]
    body = "\n".join(lines)
    print(body)
    if args.write:
        write_section("Probing cost in a run" + (" (--small)" if args.small else ""), body)


if __name__ == "__main__":
    main()
