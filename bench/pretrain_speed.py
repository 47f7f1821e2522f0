"""Pretraining throughput of each rung of a ladder, and the ladder's wall time on N workers.

    .venv/bin/python bench/pretrain_speed.py [experiments/scale/ladder.toml] [--steps 24]
        [--threads 1] [--workers 2]

Each rung (a cell of the pretraining sweep) trains `--steps` optimizer steps of its own spec
with `--threads` torch threads, after one warm-up step; its tokens/s (training steps only)
gives the minutes of the full run: the training tokens, plus the held-out evaluations at the
checkpoints (a forward pass costs about a third of a training step per token). The ladder's
wall time is the longest queue when the cells go, in order, to the first free of `--workers`
workers. On a shared machine the wall-clock rate is what the other users left; the rate per
CPU second of the process (its own compute time, one thread) estimates an idle core. Both are
printed, with the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np


def rung_speed(spec, steps: int) -> dict:
    """Tokens/s of `steps` optimizer steps of `spec` (its model, batch and sequence length)."""
    import torch

    from forgetlab.pretrain.families import SpecialIds, families
    from forgetlab.pretrain.loop import make_optimizer, make_scheduler, train_step
    from forgetlab.pretrain.plan import plan_pretrain
    from forgetlab.pretrain.run import build_model

    plan = plan_pretrain(spec)
    family = families.get(spec.model.family)
    config = family.config(plan.shape, plan.vocab, spec.model.context, SpecialIds(0, 1), spec.model)
    model = build_model(config, spec.seed)
    opt = make_optimizer(model, spec.train)
    sched = make_scheduler(opt, plan.total_steps, spec.train)
    rng = np.random.default_rng(0)
    t = spec.train
    batch = [rng.integers(2, plan.vocab, (t.batch_size, t.seq_len)) for _ in range(t.grad_accum)]
    device = torch.device("cpu")
    train_step(model, opt, sched, batch, t, device, family.mixture)  # warm-up
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        train_step(model, opt, sched, batch, t, device, family.mixture)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    tokens = steps * plan.tokens_per_step
    work = plan.total_steps * plan.tokens_per_step
    work += len(plan.checkpoint_steps) * t.eval_tokens / 3  # held-out evaluations
    return {
        "params": plan.params,
        "shape": plan.shape,
        "rate": tokens / wall,
        "cpu_rate": tokens / cpu,
        "minutes": work / (tokens / wall) / 60,
        "cpu_minutes": work / (tokens / cpu) / 60,
        "cpu_share": cpu / wall / torch.get_num_threads(),
    }


def makespan(minutes: list[float], workers: int) -> float:
    free = [0.0] * workers
    for m in minutes:
        i = int(np.argmin(free))
        free[i] += m
    return max(free)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ladder", nargs="?", default="experiments/scale/ladder.toml")
    ap.add_argument("--steps", type=int, default=24)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    import torch

    from forgetlab.sweeps import load_sweep_spec, plan_sweep

    torch.set_num_threads(args.threads)
    plan = plan_sweep(load_sweep_spec(Path(args.ladder)), check_data=False)
    print(f"load average before: {os.getloadavg()}; {args.threads} torch thread(s)")
    rows = []
    for cell in plan.cells:
        spec = plan.specs[cell.id]
        r = rung_speed(spec, args.steps)
        rows.append(r)
        s = r["shape"]
        print(
            f"{cell.id} {spec.model.family} {r['params']:>11,} params (layers {s.layers}, "
            f"hidden {s.hidden}): {r['rate']:7,.0f} tok/s wall ({r['cpu_share']:.0%} of a "
            f"core) -> {r['minutes']:6.1f} min; {r['cpu_rate']:7,.0f} tok/s per CPU second "
            f"-> {r['cpu_minutes']:5.1f} min for {spec.train.tokens:,} tokens",
            flush=True,
        )
    wall = makespan([r["minutes"] for r in rows], args.workers)
    idle = makespan([r["cpu_minutes"] for r in rows], args.workers)
    print(
        f"ladder on {args.workers} workers (cells in file order): {wall:.1f} min at the "
        f"measured wall rates, {idle:.1f} min on idle cores (CPU-time rates)"
    )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
