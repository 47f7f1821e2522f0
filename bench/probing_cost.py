"""Probing cost inside real runs: training vs probing seconds, and R beside P and P0.

    .venv/bin/python bench/probing_cost.py [--small] [--write] [--strategies seq seq_star]
        [--compare-with OLD_SRC]     # the same runs with an older forgetlab (its src folder)

Runs experiments/probing/seq_probe.toml (the quickstart with `[probe]`: every layer, all four
probe kinds, the untrained baseline) once per strategy, each in a fresh process, and reads
its results.json: per-stage train, eval and probing seconds, and the share probing adds to
training and to the run. With --compare-with, the same runs with the older source tree come
first (old and new side by side, one after the other under the same load). Then `forgetlab
probe` re-probes the new run's checkpoints (the same examples and fits, plus the model's
per-example predictions) for the paired tests, and the last stage is shown per task: R, P
and P0 with their 95% intervals over subsamples, P - R and P - P0 with paired-test p-values.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from common import BENCH, command_line, describe_machine, write_section

SPEC = BENCH.parent / "experiments" / "probing" / "seq_probe.toml"
SMALL = ["stream.n_tasks=2", "stream.train_per_class=40", "stream.test_per_class=10"]
SMALL += ["train.epochs=1"]


def fmt(v, digits: int = 3) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def run(kind: str, src: Path, small: bool, sets: list[str]) -> dict:
    """One `forgetlab run` of SPEC with source tree `src`; its results.json and run dir."""
    out = Path(tempfile.mkdtemp(prefix="forgetlab-probe-bench-")) / kind
    args = [f"strategy.kind={kind!r}".replace("'", '"'), *(SMALL if small else []), *sets]
    cmd = [sys.executable, "-m", "forgetlab", "run", str(SPEC), "--quiet", "--out", str(out)]
    for a in args:
        cmd += ["--set", a]
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    res = json.loads((out / "results.json").read_text())
    res["_dir"] = str(out)
    return res


def cost_row(label: str, res: dict) -> str:
    probing = res["probing"]
    train = sum(s["train_s"] for s in res["stages"])
    evals = res["initial_eval_s"] + sum(s["eval_s"] for s in res["stages"])
    probe = sum(x or 0.0 for x in probing["seconds"]) + (probing.get("baseline_seconds") or 0.0)
    k = probing.get("subsamples", 1)
    return (
        f"| {label} | {k} | {train:.1f} | {evals:.1f} | {probe:.1f} | {probe / train:.1%} "
        f"| {probe / res['wall_time_s']:.1%} |"
    )


def per_task(res: dict, probed: dict) -> list[str]:
    """The last stage per task, linear probe at the last layer, with the paired tests."""
    lin = probed["by_probe"]["linear"]
    i = len(res["accuracy_matrix"]) - 1
    R = res["accuracy_matrix"][i]
    lines = [
        "| task | R | P [95% interval] | P0 [95% interval] | P - R [interval], p "
        "| P - P0 [interval], p |",
        "|---|---|---|---|---|---|",
    ]

    def ci(c) -> str:
        return "" if not c else f" [{c[0]:.3f}, {c[1]:.3f}]"

    def test(t) -> str:
        if not t:
            return "-"
        return f"{t['diff']:+.3f} [{t['low']:+.3f}, {t['high']:+.3f}], {t['p']:.3g}"

    for j in range(len(R)):
        P = lin["accuracy_matrix"][i][j]
        if P is None:
            continue
        lines.append(
            f"| {j} | {fmt(R[j])} | {fmt(P)}{ci(lin['accuracy_interval'][i][j])} "
            f"| {fmt(lin['baseline_accuracy_matrix'][i][j])}"
            f"{ci(lin['baseline_accuracy_interval'][i][j])} "
            f"| {test(lin['test_vs_model'][i][j])} | {test(lin['test_vs_baseline'][i][j])} |"
        )
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="2 tasks, fewer examples, 1 epoch")
    ap.add_argument("--write", action="store_true", help="replace the section in RESULTS.md")
    ap.add_argument("--strategies", nargs="+", default=["seq", "seq_star"])
    ap.add_argument("--compare-with", type=Path, help="an older forgetlab's src folder")
    ap.add_argument("--set", dest="sets", action="append", default=[], help="spec override")
    args, _ = ap.parse_known_args()
    new_src = BENCH.parent / "src"
    lines = [f"`{command_line()}`", "", describe_machine(), ""]
    readings = []
    for kind in args.strategies:
        rows = []
        if args.compare_with:
            old = run(kind, args.compare_with, args.small, args.sets)
            rows.append(cost_row(f"before (`{args.compare_with.name}`)", old))
        res = run(kind, new_src, args.small, args.sets)
        rows.append(cost_row("this tree", res))
        lines += [
            f"### {kind}: seconds",
            "",
            "| code | subsamples | train | eval | probing (all layers, 4 probes, P0) "
            "| probing / train | probing / run |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
        ]
        probed_dir = Path(res["_dir"]) / "probing"
        cmd = [sys.executable, "-m", "forgetlab", "probe", res["_dir"], "--out", str(probed_dir)]
        env = {**os.environ, "PYTHONPATH": str(new_src)}
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
        probed = json.loads((probed_dir / "probing.json").read_text())
        sys.path.insert(0, str(new_src))
        from forgetlab.probing.summary import probing_summary

        readings += [
            f"### {kind}: after the last stage (linear probe, last layer)",
            "",
            *per_task(res, probed),
            "",
            "`" + probing_summary(probed, res["accuracy_matrix"]).replace("\n", " ") + "`",
            "",
            f"layers {probed['layers']}; best layer per stage (linear, chosen on validation "
            f"rows) {probed['by_probe']['linear']['best_layer']}",
            "",
        ]
    body = "\n".join(lines + readings)
    print(body)
    if args.write:
        write_section("Probing cost in a run" + (" (--small)" if args.small else ""), body)


if __name__ == "__main__":
    main()
