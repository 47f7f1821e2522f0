"""Peer: the same stream, model, hyper-parameters and strategy with Avalanche vs forgetlab.

    .venv/bin/python bench/avalanche_peer.py                       # quickstart stream, seq + ewc
    .venv/bin/python bench/avalanche_peer.py --small --strategies seq
    .venv/bin/python bench/avalanche_peer.py --pad trim --write

For each strategy (`seq` = Avalanche `Naive`, `ewc` = `EWCPlugin`, `mas` = `MASPlugin`, with
forgetlab's lambda scale, see avalanche_loop.py) both run in fresh processes on forgetlab's
examples with the same tokenizer, batch size, epochs, AdamW, warmup/decay schedule and
clipping. Prints wall time, peak memory and the final accuracy matrices side by side, and
checks the target: forgetlab at most half of Avalanche's wall time at equal accuracy (final
average accuracy within 2 points) and no higher peak memory. Avalanche runs under .venv-peer
(the Makefile's `bench` target creates it; `FORGETLAB_PEER_PYTHON` overrides it).

Padding (`--pad`): `max_length` (default) is what Avalanche users typically do with text, a
TensorDataset padded to train.max_length; `trim` also cuts each batch to its longest real
sequence inside the model (dynamic padding without forgetlab's length grouping).
"""

from __future__ import annotations

import argparse

import numpy as np
from common import (
    bench_spec,
    command_line,
    describe_machine,
    markdown_table,
    matrix_text,
    run_isolated,
    write_section,
)
from overhead import add_common_args

TITLE = "Peer: forgetlab vs Avalanche 0.6.0 on the same stream"


def summary(R: list[list[float]]) -> dict[str, float]:
    R = np.array(R)
    T = len(R)
    forget = [max(R[i, j] for i in range(j, T - 1)) - R[-1, j] for j in range(T - 1)]
    return {
        "avg_acc": float(R[-1].mean()),
        "learn_acc": float(np.diag(R).mean()),
        "forgetting": float(np.mean(forget)) if forget else float("nan"),
    }


def compare(strategy: str, spec: dict, threads: int | None, pad: str) -> tuple[str, bool]:
    f = run_isolated("forgetlab", spec, threads)
    print(f"  forgetlab {strategy}: {f['run_s']:.1f} s", flush=True)
    a = run_isolated("avalanche", spec, threads, strategy=strategy, pad=pad)
    print(f"  avalanche {strategy}: {a['run_s']:.1f} s", flush=True)
    fs, as_ = summary(f["accuracy_matrix"]), summary(a["accuracy_matrix"])
    rows = []
    for label, key in [
        ("run wall s (after imports)", "run_s"),
        ("  train s (with the strategy's own work)", "train_s"),
        ("  eval s", "eval_s"),
        ("imports s", "import_s"),
        ("process wall s", "process_s"),
        ("peak RSS MiB", "peak_rss_mb"),
        ("train tokens, real", "tokens"),
        ("train tokens, computed (with padding)", "padded_tokens"),
    ]:
        rows.append([label, f[key], a[key], f"{f[key] / a[key]:.2f}x"])
    for key in ("avg_acc", "learn_acc", "forgetting"):
        rows.append([key, fs[key], as_[key], f"{fs[key] - as_[key]:+.3f}"])
    time_ok = f["run_s"] <= 0.5 * a["run_s"]
    acc_ok = abs(fs["avg_acc"] - as_["avg_acc"]) <= 0.02
    mem_ok = f["peak_rss_mb"] <= a["peak_rss_mb"]
    verdict = (
        f"target (wall <= 0.5x, |avg_acc diff| <= 0.02, peak RSS <= Avalanche's): "
        f"wall {'met' if time_ok else 'NOT met'} ({f['run_s'] / a['run_s']:.2f}x), "
        f"accuracy {'met' if acc_ok else 'NOT met'}, memory {'met' if mem_ok else 'NOT met'}"
    )
    lam = f", Avalanche lambda {a['ewc_lambda']}" if a.get("ewc_lambda") else ""
    text = "\n".join(
        [
            f"### {strategy}{lam}",
            "",
            markdown_table(["", "forgetlab", "Avalanche", "forgetlab / Avalanche"], rows),
            "",
            "R (row i: after task i; forgetlab scores a future task over the classes seen so "
            "far plus its own, Avalanche's IncrementalClassifier masks unseen classes, so the "
            "upper triangles differ by definition):",
            "",
            "```",
            "forgetlab",
            matrix_text(f["accuracy_matrix"]),
            "avalanche",
            matrix_text(a["accuracy_matrix"]),
            "```",
            "",
            verdict,
        ]
    )
    return text, time_ok and acc_ok and mem_ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(ap)
    ap.add_argument(
        "--strategies", nargs="+", default=["seq", "ewc"], choices=["seq", "ewc", "mas"]
    )
    ap.add_argument("--pad", choices=["max_length", "trim"], default="max_length")
    args = ap.parse_args()
    machine = describe_machine(args.threads)
    parts = []
    for strategy in args.strategies:
        spec = bench_spec(args.small, [*args.sets, f"strategy.kind={strategy}"])
        text, _ = compare(strategy, spec, args.threads, args.pad)
        parts.append(text)
    s, tr = spec["stream"], spec["train"]
    label = " (--small: a check of the script, not a benchmark figure)" if args.small else ""
    head = [
        f"Machine: {machine}",
        "",
        f"{spec['model']['name']} on {s['kind']} ({s['n_tasks']} tasks x "
        f"{s['classes_per_task']} classes, {s['train_per_class']}/{s['test_per_class']} per "
        f"class), {tr['epochs']} epochs, batch {tr['batch_size']}, lr {tr['lr']}, max_length "
        f"{tr['max_length']}; Avalanche data padded to {args.pad}{label}. forgetlab's run also "
        "scores the initial model and writes its run directory. EWC/MAS: forgetlab's importance "
        "is per-sample on `strategy.samples` examples (default 256) of each task (EWC: the true "
        "Fisher), Avalanche's from mini-batch gradients over the whole task (EWC: at the data's "
        "labels).",
        "",
        "```",
        command_line(),
        "```",
    ]
    text = "\n".join([*head, "", *("\n\n".join(parts).splitlines())])
    print(text)
    if args.write:
        write_section(TITLE + (" (--small)" if args.small else ""), text)


if __name__ == "__main__":
    main()
