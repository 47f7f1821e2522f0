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

from forgetlab.models import build_learner
from forgetlab.observers import History, ObserverEnv, build_observers
from forgetlab.spec import load_spec
from forgetlab.strategies import build_strategies
from forgetlab.streams import build_experiment_stream
from forgetlab.train.stream import train_stream


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
    observers = build_observers(spec, ObserverEnv(stream, learner, device, None))
    probing = next(o for o in observers if o.name == "probe")
    prober = probing.prober
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        observe = prober.observe

        def profiled(stage: int) -> None:
            profiler.enable()
            observe(stage)
            profiler.disable()

        prober.observe = profiled
    history, rows = History(), []
    stages = train_stream(
        learner, stream, strategies, spec.train, seed=spec.seed, observers=observers, device=device
    )
    for result in stages:
        if result.stage < 0:
            history.initial = result.records
            eval0 = result.observer_s["evaluate"]
            continue
        history.stages.append(result.records)
        s = result.observer_s
        rows.append((result.stage, result.stats.seconds, s["evaluate"], s["probe"]))
        print(
            f"stage {result.stage}: train {rows[-1][1]:.1f}s eval {rows[-1][2]:.1f}s "
            f"probe {rows[-1][3]:.1f}s",
            flush=True,
        )
    R, b = history.accuracy_matrix(), history.initial_accuracy()
    # what capturing hidden states costs the evaluation pass itself
    from forgetlab.eval import evaluate
    from forgetlab.train.encode import EncodeCache

    encode, bs, last = EncodeCache(learner), spec.eval.batch_size, len(stream.tasks) - 1
    t0 = time.perf_counter()
    evaluate(learner, stream, last, encode, bs)
    plain = time.perf_counter() - t0
    t0 = time.perf_counter()
    evaluate(learner, stream, last, encode, bs, on_hidden=lambda *a: None)
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
