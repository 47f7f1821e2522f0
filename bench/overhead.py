"""Framework overhead: a forgetlab run vs a minimal hand-written PyTorch loop, same work.

    .venv/bin/python bench/overhead.py                 # the quickstart stream (MiniLM, ~2x2 min)
    .venv/bin/python bench/overhead.py --small         # tiny-bert, 3 tasks: a quick check
    .venv/bin/python bench/overhead.py --set train.epochs=1 --threads 2 --write

Both run in fresh processes one after the other (peak RSS of each on its own): forgetlab.run
on the spec, and bare_loop.py doing the same training and evaluation (same model, examples,
tokenization, batches, optimizer, schedule, evaluation). Prints wall time (split into
imports, setup, training and evaluation), peak memory and the ratio, and checks that both
produced the same accuracy matrix. `--write` replaces the section in bench/RESULTS.md;
`--save FILE` keeps the raw figures (bench/mfu.py --runs FILE reuses them).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from common import (
    bench_spec,
    command_line,
    describe_machine,
    markdown_table,
    run_isolated,
    write_section,
)

TITLE = "Framework overhead: forgetlab vs a bare PyTorch loop"


def add_common_args(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--small", action="store_true", help="tiny-bert, 3 tasks: a quick check")
    ap.add_argument("--set", dest="sets", action="append", default=[], help="spec override")
    ap.add_argument("--threads", type=int, default=None, help="torch threads in each child")
    ap.add_argument("--write", action="store_true", help="replace the section in RESULTS.md")


def max_diff(a: list[list[float]], b: list[list[float]]) -> float:
    return max(abs(x - y) for ra, rb in zip(a, b) for x, y in zip(ra, rb))


def compare(spec: dict, threads: int | None, repeat: int) -> dict[str, dict]:
    """Best (lowest run_s) of `repeat` fresh-process runs of each workload, interleaved."""
    best: dict[str, dict] = {}
    for _ in range(repeat):
        for name in ("forgetlab", "bare"):
            res = run_isolated(name, spec, threads)
            print(
                f"  {name}: {res['run_s']:.1f} s, peak RSS {res['peak_rss_mb']:.0f} MiB", flush=True
            )
            if name not in best or res["run_s"] < best[name]["run_s"]:
                best[name] = res
    return best


def report(spec: dict, runs: dict[str, dict], machine: str, small: bool) -> str:
    f, b = runs["forgetlab"], runs["bare"]

    def row(label: str, key: str, fmt=float) -> list:
        fv, bv = f.get(key), b.get(key)
        ratio = f"{fv / bv:.2f}x" if fv and bv else ""
        return [label, fmt(fv), fmt(bv), ratio]

    rows = [
        row("run wall s (after imports)", "run_s"),
        row("  setup s (data, model; forgetlab: + files, checkpoint)", "setup_s"),
        row("  train s", "train_s"),
        row("  eval s (T+1 passes over the tests)", "eval_s"),
        row("imports s", "import_s"),
        row("process wall s", "process_s"),
        row("peak RSS MiB", "peak_rss_mb"),
        row("train tokens, real", "tokens", int),
        row("train tokens, padded", "padded_tokens", int),
    ]
    if "peak_cuda_mb" in f:
        rows.append(row("peak CUDA MiB", "peak_cuda_mb"))
    s, st, tr = spec["stream"], spec["model"], spec["train"]
    what = (
        f"{st['name']} on {s['kind']} ({s['n_tasks']} tasks x {s['classes_per_task']} classes, "
        f"{s['train_per_class']}/{s['test_per_class']} per class), {tr['epochs']} epochs, batch "
        f"{tr['batch_size']}, lr {tr['lr']}, strategy seq, method full, device {f['device']}"
    )
    label = " (--small: a check of the script, not a benchmark figure)" if small else ""
    return "\n".join(
        [
            f"Machine: {machine}",
            "",
            f"{what}{label}. Best of the runs; each workload in a fresh process.",
            "",
            "```",
            command_line(),
            "```",
            "",
            markdown_table(["", "forgetlab", "bare PyTorch", "ratio"], rows),
            "",
            f"Same accuracy matrix: max |R_forgetlab - R_bare| = "
            f"{max_diff(f['accuracy_matrix'], b['accuracy_matrix']):.4f}; forgetlab also wrote "
            f"a {f['checkpoint_mb']:.1f} MiB checkpoint, results.json and scores.csv.",
        ]
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(ap)
    ap.add_argument("--repeat", type=int, default=1, help="runs of each; the fastest counts")
    ap.add_argument("--save", type=Path, help="write the raw figures of both runs (JSON)")
    args = ap.parse_args()
    spec = bench_spec(args.small, args.sets)
    machine = describe_machine(args.threads)
    runs = compare(spec, args.threads, args.repeat)
    text = report(spec, runs, machine, args.small)
    print(text)
    if args.save:
        args.save.write_text(json.dumps({"spec": spec, "runs": runs}, indent=1))
    if args.write:
        write_section(TITLE + (" (--small)" if args.small else ""), text)


if __name__ == "__main__":
    main()
