"""Per-sample Fisher: torch.func vmap vs a per-sample loop, side by side, same examples.

    .venv/bin/python bench/fisher.py [--model minilm] [--examples 64] [--batch 32]

Prints the wall time of each, the speedup, the largest difference between the two Fisher
diagonals, and the raw mean Fisher per parameter (why EWC normalises it).
"""

from __future__ import annotations

import argparse
import time

import torch

from forgetlab.models import build_learner
from forgetlab.spec import spec_from_dict
from forgetlab.strategies.per_sample import accumulate, eager_attention, per_sample_loop, task_loss
from forgetlab.streams import build_stream


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="minilm")
    ap.add_argument("--examples", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--chunk", type=int, default=8)
    args = ap.parse_args()
    spec = spec_from_dict({"model": {"name": args.model}, "stream": {"kind": "wordnet-cil"}})
    stream = build_stream(spec.stream)
    learner = build_learner(spec, stream)
    learner.set_trainable(learner.stage_parameters(0))
    learner.eval()
    # sorted by length, as EWC/MAS batch their importance samples (less padding)
    items = sorted(
        (learner.encode(e) for e in stream.tasks[0].train[: args.examples]),
        key=lambda e: len(e.ids),
    )
    batches = []
    for i in range(0, len(items), args.batch):
        b = learner.collate(items[i : i + args.batch])
        batches.append((b, stream.candidate_mask(0, b.task_ids)))
    params = {n: p.detach() for n, p in learner.named_parameters() if p.requires_grad}

    t0 = time.perf_counter()
    fisher = accumulate(learner, batches, torch.square, task_loss, chunk_size=args.chunk)
    t_vmap = time.perf_counter() - t0

    t0 = time.perf_counter()
    loop = {n: torch.zeros_like(p) for n, p in params.items()}
    with eager_attention(learner):
        for b, m in batches:
            for n, g in per_sample_loop(learner, b, m, params).items():
                loop[n] += (g**2).sum(0)
    loop = {n: v / len(items) for n, v in loop.items()}
    t_loop = time.perf_counter() - t0

    diff = max(float((fisher[n] - loop[n]).abs().max()) for n in params)
    top = max(float(v.abs().max()) for v in loop.values())
    n_params = sum(v.numel() for v in fisher.values())
    mean = sum(float(v.sum()) for v in fisher.values()) / n_params
    print(
        f"model {args.model}: {n_params:,} trainable parameters, {len(items)} examples, "
        f"batch {args.batch}, vmap chunk {args.chunk}, threads {torch.get_num_threads()}"
    )
    print("| method | seconds | examples/s |")
    print("|---|---|---|")
    print(f"| vmap(grad) | {t_vmap:.2f} | {len(items) / t_vmap:.1f} |")
    print(f"| per-sample loop | {t_loop:.2f} | {len(items) / t_loop:.1f} |")
    print(f"speedup {t_loop / t_vmap:.1f}x; max |difference| {diff:.2e} (largest entry {top:.2e})")
    print(f"raw mean Fisher per parameter: {mean:.2e}")


if __name__ == "__main__":
    main()
