"""Hardware ceiling: measured matmul FLOP/s vs achieved training FLOP/s (model FLOP utilization).

    .venv/bin/python bench/mfu.py                      # quickstart stream, CPU (+ GPU if any)
    .venv/bin/python bench/mfu.py --small --threads 2
    .venv/bin/python bench/mfu.py --runs /tmp/overhead.json   # reuse bench/overhead.py --save

Ceiling: the best of several torch.matmul calls on large float32 squares (2 n^3 FLOPs each).
Achieved: 6 x non-embedding parameters x real (unpadded) training tokens per second of
training (forward + backward; Kaplan et al. 2020), for a forgetlab run (its results.json
stages record tokens and train_s) and for the bare PyTorch loop doing the same work. The
"padded" column counts padding tokens too: what the hardware computed, useful or not.
Attention score FLOPs (~ sequence length / 6 x hidden of the total) are left out.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from common import (
    bench_spec,
    command_line,
    describe_machine,
    markdown_table,
    run_isolated,
    write_section,
)
from overhead import add_common_args

TITLE = "Model FLOP utilization: matmul ceiling vs training throughput"


def matmul_flops(device: str, n: int, repeat: int = 5) -> float:
    """Best FLOP/s of `repeat` float32 (n x n) @ (n x n) products on `device`, after a warmup."""
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    torch.matmul(a, b)
    sync()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        torch.matmul(a, b)
        sync()
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best


def achieved(run: dict, peak: float) -> list:
    n = run["non_embedding_params"]
    flops = 6 * n * run["tokens"] / run["train_s"]
    padded = 6 * n * run["padded_tokens"] / run["train_s"]
    return [
        f"{run['tokens'] / run['train_s']:,.0f}",
        f"{flops / 1e9:,.2f}",
        f"{flops / peak:.1%}",
        f"{padded / peak:.1%}",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(ap)
    ap.add_argument("--n", type=int, default=None, help="matmul size (default 2048 CPU, 8192 GPU)")
    ap.add_argument("--runs", type=Path, help="reuse figures saved by overhead.py --save")
    args = ap.parse_args()
    machine = describe_machine(args.threads)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    saved = json.loads(args.runs.read_text()) if args.runs else None
    rows, what = [], ""
    for device in devices:
        peak = matmul_flops(device, args.n or (8192 if device == "cuda" else 2048))
        if saved and all(r["device"] == device for r in saved["runs"].values()):
            spec, runs = saved["spec"], saved["runs"]
        else:
            spec = bench_spec(args.small, [*args.sets, f"train.device={device}"])
            runs = {w: run_isolated(w, spec, args.threads) for w in ("forgetlab", "bare")}
        for name, run in runs.items():
            rows.append([device, f"{peak / 1e9:,.1f}", name, *achieved(run, peak)])
        s = spec["stream"]
        what = (
            f"{spec['model']['name']} ({runs['forgetlab']['non_embedding_params']:,} "
            f"non-embedding parameters) on {s['kind']} ({s['n_tasks']} tasks x "
            f"{s['classes_per_task']} classes, {s['train_per_class']} train per class), "
            f"{spec['train']['epochs']} epochs, batch {spec['train']['batch_size']}"
        )
    label = " (--small: a check of the script, not a benchmark figure)" if args.small else ""
    header = [
        "device",
        "matmul GFLOP/s (fp32)",
        "run",
        "real tokens/s",
        "achieved GFLOP/s",
        "MFU",
        "MFU incl. padding",
    ]
    text = "\n".join(
        [
            f"Machine: {machine}",
            "",
            f"{what}{label}.",
            "",
            "```",
            command_line(),
            "```",
            "",
            markdown_table(header, rows),
        ]
    )
    print(text)
    if args.write:
        write_section(TITLE + (" (--small)" if args.small else ""), text)


if __name__ == "__main__":
    main()
