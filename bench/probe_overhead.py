"""Time probing against training on MiniLM, single-threaded, with the prober wired as the
experiment wires it (test features from the evaluation pass, train features subsampled).

    OMP_NUM_THREADS=1 .venv/bin/python bench/probe_overhead.py --tasks 2
    OMP_NUM_THREADS=1 .venv/bin/python bench/probe_overhead.py --tasks 5 --profile

Prints training, evaluation and probing seconds per stage, the overhead, and R beside P and
P0 (linear and prototype probes at the last layer), and the P vs R summary (the evaluation
hands the prober the model's per-example hits for the paired tests).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import time

import torch

from forgetlab.eval import evaluate
from forgetlab.models import build_learner
from forgetlab.probing.prober import Prober
from forgetlab.progress import progress_bar
from forgetlab.run_context import EncodeCache, stage_context
from forgetlab.spec import load_spec
from forgetlab.strategies import build_strategies
from forgetlab.streams import build_experiment_stream
from forgetlab.train.loop import train_stage


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=2)
    ap.add_argument("--set", dest="overrides", action="append", default=[])
    ap.add_argument("--json", default=None, help="write the figures here")
    ap.add_argument("--profile", action="store_true", help="cProfile the probing calls")
    args = ap.parse_args()
    torch.set_num_threads(1)
    spec = load_spec(
        None,
        [f"stream.n_tasks={args.tasks}", "train.checkpoint='none'", "probe={}", *args.overrides],
    )
    stream = build_experiment_stream(spec)
    learner = build_learner(spec, stream)
    device = torch.device("cpu")
    strategies = build_strategies(spec.strategy)
    encode = EncodeCache(learner)
    prober = Prober(spec.probe, stream, learner, device, seed=spec.seed)
    cpu = {"train": 0.0, "eval": 0.0, "probe": 0.0}  # CPU seconds: robust to other load
    observe = prober.observe
    profiler = cProfile.Profile() if args.profile else None

    def timed_observe(stage: int) -> None:
        c0 = time.process_time()
        if profiler:
            profiler.enable()
        observe(stage)
        if profiler:
            profiler.disable()
        cpu["probe"] += time.process_time() - c0

    prober.observe = timed_observe
    bs = spec.eval.batch_size
    rows, R = [], []
    with progress_bar(False) as bar:
        t0, c0 = time.perf_counter(), time.process_time()
        scores = evaluate(learner, stream, -1, encode, bs, on_hidden=prober.on_hidden)
        cpu["eval"] += time.process_time() - c0
        eval0 = time.perf_counter() - t0 - prober._pending_s
        b = [s.accuracy for s in scores]
        prober.observe(-1)
        for stage in range(len(stream.tasks)):
            torch.manual_seed(spec.seed * 1_000_003 + stage)
            ctx = stage_context(spec, stream, learner, stage, encode, device)
            c0 = time.process_time()
            stats = train_stage(ctx, strategies, bar)
            cpu["train"] += time.process_time() - c0
            t0, c0 = time.perf_counter(), time.process_time()
            scores = evaluate(
                learner,
                stream,
                stage,
                encode,
                bs,
                on_hidden=prober.on_hidden,
                on_predicted=prober.on_predicted,
            )
            cpu["eval"] += time.process_time() - c0
            hook_s = prober._pending_s
            eval_s = time.perf_counter() - t0 - hook_s
            R.append([s.accuracy for s in scores])
            prober.observe(stage)
            rows.append((stage, stats.seconds, eval_s, prober.records_[stage]["seconds"]))
            print(
                f"stage {stage}: train {stats.seconds:.1f}s eval {eval_s:.1f}s "
                f"probe {rows[-1][3]:.1f}s",
                flush=True,
            )
        # what capturing hidden states costs the evaluation pass itself
        t0 = time.perf_counter()
        evaluate(learner, stream, len(stream.tasks) - 1, encode, bs)
        plain = time.perf_counter() - t0
        t0 = time.perf_counter()
        evaluate(learner, stream, len(stream.tasks) - 1, encode, bs, on_hidden=lambda *a: None)
        hooked = time.perf_counter() - t0
    res = prober.results(R)
    train_s = sum(r[1] for r in rows)
    eval_s = eval0 + sum(r[2] for r in rows)
    probe_s = res.baseline_seconds + sum(r[3] for r in rows)
    print(
        f"\ntraining {train_s:.1f}s, evaluation {eval_s:.1f}s, probing {probe_s:.1f}s "
        f"(baseline {res.baseline_seconds:.1f}s); probing adds {probe_s / (train_s + eval_s):.1%}"
        f" to training + evaluation; evaluation with hidden states {hooked:.1f}s vs {plain:.1f}s"
    )
    print(
        f"CPU seconds: {', '.join(f'{k} {v:.1f}' for k, v in cpu.items())}; probing adds "
        f"{cpu['probe'] / (cpu['train'] + cpu['eval']):.1%} (CPU time)"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("cumtime").print_stats(30)
    print(f"initial accuracy b: {[round(x, 3) for x in b]}")
    for kind in ("linear", "prototype"):
        r = res.by_probe.get(kind)
        if r is None:
            continue
        for i in range(len(R)):
            fmt = lambda row: " ".join("  -  " if v is None else f"{v:.3f}" for v in row)  # noqa: E731
            print(
                f"{kind:>9} stage {i}: R {fmt(R[i])} | P {fmt(r.accuracy_matrix[i])} | "
                f"P0 {fmt(r.baseline_accuracy_matrix[i])} | best layer {r.best_layer[i]}"
            )
    print(
        "layer accuracy (linear, last stage):",
        [
            round(sum(v for v in row if v is not None) / sum(v is not None for v in row), 3)
            for row in res.by_probe["linear"].layer_accuracy[-1]
        ]
        if "linear" in res.probes
        else "",
    )
    print("cka per stage:", [[round(c, 3) for c in row] for row in res.cka])
    from forgetlab.probing.summary import probing_summary

    print(probing_summary(res, R))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "train_s": train_s,
                    "eval_s": eval_s,
                    "probe_s": probe_s,
                    "R": R,
                    "b": b,
                    "probing": res.model_dump(),
                    "eval_hooked_s": hooked,
                    "eval_plain_s": plain,
                },
                f,
                indent=1,
            )


if __name__ == "__main__":
    main()
