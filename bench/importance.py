"""EWC/MAS importance: memory and time of the old and new estimators, side by side, one run.

    .venv/bin/python bench/importance.py                 # MiniLM quickstart, task 0, 256 samples
    .venv/bin/python bench/importance.py --small         # tiny-bert: a check of the script
    .venv/bin/python bench/importance.py --write         # replace the section in RESULTS.md

Each variant runs in a fresh process: build the quickstart learner, train stage 0 (seq, the
stage's training time), then estimate the importance of `strategy.samples` examples of task
0 (the stage's own rng picks them, as EWC/MAS do) and record its seconds and the peak RSS of
the importance pass alone (the kernel's high-water mark is reset before it,
/proc/self/clear_refs). The old estimator is the code at OLD_REF, read with `git show`: torch.func
vmap over each batch, all B x P per-sample gradients alive, then squared. The new one is
forgetlab's (`strategies/importance.py`): layer hooks on one batched pass, reduced in chunks
within `chunk_mb`. Importances of the same examples on the same weights are compared (max
|new - old| relative to the largest entry). Targets (issue 20): importance time at most 20% of
the stage's training time; the whole run's peak at most Avalanche's (bench/avalanche_peer.py).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import BENCH, bench_spec, command_line, describe_machine, markdown_table, write_section
from overhead import add_common_args

TITLE = "EWC/MAS importance: old (vmap, B x P) vs new (layer hooks, chunked)"
OLD_REF = "895a4bb"  # the last commit with the vmap estimator (per_sample.accumulate)
VARIANTS = [  # (strategy, implementation, fisher)
    ("ewc", "old", "empirical"),
    ("ewc", "new", "empirical"),
    ("ewc", "new", "true"),
    ("mas", "old", None),
    ("mas", "new", None),
]


def _mib(field: str) -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+)", status).group(1)) / 1024


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _old_module():
    """per_sample.py as it was at OLD_REF (it imports only forgetlab.models.batch)."""
    text = subprocess.run(
        ["git", "show", f"{OLD_REF}:src/forgetlab/strategies/per_sample.py"],
        capture_output=True,
        text=True,
        check=True,
        cwd=BENCH.parent,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "old_per_sample.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("old_per_sample", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def child(job: dict) -> dict:
    import torch
    from safetensors.torch import save_file

    from forgetlab.models import build_learner
    from forgetlab.progress import progress_bar
    from forgetlab.spec import spec_from_dict
    from forgetlab.strategies import build_strategies
    from forgetlab.streams import build_stream
    from forgetlab.train.encode import EncodeCache
    from forgetlab.train.loop import train_stage
    from forgetlab.train.stream import stage_context

    if job["threads"]:
        torch.set_num_threads(job["threads"])
    kind, impl, fisher = job["strategy"], job["impl"], job["fisher"]
    spec = spec_from_dict({**job["spec"], "strategy": {"kind": "seq"}})
    stream = build_stream(spec.stream)
    learner = build_learner(spec, stream)
    ctx = stage_context(
        learner, stream, spec.train, 0, spec.seed, EncodeCache(learner), torch.device("cpu")
    )
    cpu0 = time.process_time()
    with progress_bar(False) as bar:
        stats = train_stage(ctx, build_strategies(spec.strategy), bar)
    train_cpu = time.process_time() - cpu0
    options = {"kind": kind, **({"fisher": fisher} if fisher else {})}
    (strategy,) = build_strategies(spec_from_dict({**job["spec"], "strategy": options}).strategy)
    task = list(ctx.task.train)
    examples = ctx.rng.sample(task, min(strategy.spec.samples, len(task)))
    old = _old_module() if impl == "old" else None
    rss_before = _mib("VmRSS")
    reset = _reset_peak()
    t0, cpu0 = time.perf_counter(), time.process_time()
    if old is None:
        imp = strategy.importance(ctx, examples)
    else:
        batches = strategy.importance_batches(ctx, examples)
        reduce, objective = (
            (torch.square, old.task_loss) if kind == "ewc" else (torch.abs, old.squared_output_norm)
        )
        imp = old.accumulate(ctx.learner, batches, reduce, objective)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    peak = _mib("VmHWM")
    save_file({n: v.contiguous() for n, v in imp.items()}, job["out"])
    return {
        "train_s": stats.seconds,
        "train_cpu_s": train_cpu,
        "importance_s": seconds,
        "importance_cpu_s": cpu,
        "rss_before_mb": rss_before,
        "peak_mb": peak if reset else float("nan"),
        "examples": len(examples),
        "params": sum(v.numel() for v in imp.values()),
    }


def run_child(job: dict) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(
        [sys.executable, __file__, "--child"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        env=env,
        cwd=BENCH.parent,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child {job['strategy']} {job['impl']} failed:\n{proc.stderr[-3000:]}")
    return json.loads([x for x in proc.stdout.splitlines() if x.startswith("{")][-1])


def rel_diff(a_path: str, b_path: str) -> float:
    from safetensors.torch import load_file

    a, b = load_file(a_path), load_file(b_path)
    top = max(float(v.abs().max()) for v in b.values())
    return max(float((a[n] - b[n]).abs().max()) for n in b) / top


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(ap)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(sys.stdin.read()))))
        return
    spec = bench_spec(args.small, args.sets)
    machine = describe_machine(args.threads)
    tmp = Path(tempfile.mkdtemp())
    rows, results = [], {}
    for kind, impl, fisher in VARIANTS:
        out = str(tmp / f"{kind}-{impl}-{fisher}.safetensors")
        job = {"spec": spec, "strategy": kind, "impl": impl, "fisher": fisher}
        r = run_child({**job, "threads": args.threads, "out": out})
        results[(kind, impl, fisher)] = (r, out)
        print(f"  {kind} {impl} {fisher or ''}: {r['importance_cpu_s']:.1f} CPU s", flush=True)
    for (kind, impl, fisher), (r, out) in results.items():
        old_r, old_out = results[(kind, "old", "empirical" if kind == "ewc" else None)]
        new = impl == "new"
        same_numbers = fisher != "true" and new
        rows.append(
            [
                kind,
                f"{impl}" + (f" ({fisher} Fisher)" if fisher else ""),
                r["importance_cpu_s"],
                r["train_cpu_s"],
                f"{100 * r['importance_cpu_s'] / r['train_cpu_s']:.0f}%",
                f"{100 * r['importance_s'] / r['train_s']:.0f}%",
                r["peak_mb"],
                r["peak_mb"] - r["rss_before_mb"],
                f"{r['importance_cpu_s'] / old_r['importance_cpu_s']:.2f}x" if new else "",
                f"{rel_diff(out, old_out):.1e}" if same_numbers else "",
            ]
        )
    s, tr = spec["stream"], spec["train"]
    r0 = next(iter(results.values()))[0]
    text = "\n".join(
        [
            f"Machine: {machine}",
            "",
            f"{spec['model']['name']} ({r0['params']:,} trainable parameters at stage 0) on "
            f"{s['kind']} task 0 ({s['classes_per_task']} classes x {s['train_per_class']} "
            f"examples, {tr['epochs']} epochs, batch {tr['batch_size']}); importance of "
            f"{r0['examples']} examples, batches of {tr['batch_size']} sorted by length. Each "
            "row is a fresh process; times are the process's CPU seconds (robust to other "
            "load on a shared machine; with one thread, what an idle machine's wall clock would "
            "show), the wall-clock ratio beside them; peak RSS is the high-water mark of the "
            "importance pass alone; 'max rel diff' is max |new - old| / max |old| on the same "
            "examples and weights (the true Fisher draws labels, so its numbers differ by design).",
            "",
            "```",
            command_line(),
            "```",
            "",
            markdown_table(
                [
                    "strategy",
                    "estimator",
                    "importance CPU s",
                    "stage train CPU s",
                    "importance / train (CPU)",
                    "(wall)",
                    "peak RSS MiB",
                    "peak over RSS before",
                    "time vs old",
                    "max rel diff vs old",
                ],
                rows,
            ),
        ]
    )
    print(text)
    if args.write:
        write_section(TITLE + (" (--small)" if args.small else ""), text)


if __name__ == "__main__":
    sys.path.insert(0, str(BENCH))
    main()
