"""What probing costs on the full quickstart, composed from measured parts: CPU seconds on one
thread (robust to a shared machine's load, unlike wall time), old design beside new.

    .venv/bin/python bench/probing_components.py [--write] [--settings 30:20:10 25:20:10]

Measures, in one process on the quickstart's MiniLM and WordNet tasks: a training step per
example (one epoch over `--train-examples` of task 0), a feature extraction per example, the
evaluation hook that pools every layer's test features, and the probe fits of every stage's
size (3, 6, ... 15 classes; the fine-tuned and the untrained model's features: P and P0;
all four kinds, all 7 layers). Then composes the quickstart (5 tasks x 600 examples x 2
epochs of training) for the old design (20 examples per class, one scikit-learn fit per
kind, layer and stage, P0 refit for every stage's classes) and for each new setting
POOL:TRAIN:SUBSAMPLES (pool per class, examples per class each probe is fit on, subsamples).
It is a model of the run from measured parts, not a run: bench/probing_cost.py times real
runs.
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import replace

import numpy as np
import torch
from common import command_line, describe_machine, write_section

T, PER_CLASS, CLASSES = 5, 600 // 3, 3  # the quickstart: 5 tasks x 3 classes x 200 train
EPOCHS, TEST = 2, 150  # epochs; test examples per task


def cpu(fn) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="replace the section in RESULTS.md")
    ap.add_argument("--settings", nargs="+", default=["30:20:10", "25:20:10", "30:20:5"])
    ap.add_argument("--train-examples", type=int, default=192)
    args = ap.parse_args()
    torch.set_num_threads(1)

    from forgetlab.eval import evaluate
    from forgetlab.models import build_learner
    from forgetlab.probing.features import FeatureBlock, FeatureExtractor
    from forgetlab.probing.probes import build_probe
    from forgetlab.probing.stage import probe_stage
    from forgetlab.progress import progress_bar
    from forgetlab.run_context import EncodeCache, stage_context
    from forgetlab.spec import load_spec
    from forgetlab.strategies import build_strategies
    from forgetlab.streams import build_experiment_stream
    from forgetlab.train.loop import train_stage

    spec = load_spec(None, ["train.checkpoint='none'", "train.epochs=1"])
    stream = build_experiment_stream(spec)
    learner = build_learner(spec, stream)
    layers = list(range(learner.backbone.config.num_hidden_layers + 1))
    extractor = FeatureExtractor(learner, layers, "mean", 32)
    rng = random.Random(0)

    # features of 40 training examples per class (every class) and every test example
    by_class: dict[int, list] = {}
    for t in stream.tasks:
        for e in t.train:
            by_class.setdefault(e.label, []).append(e)
    train_ex = [e for c in sorted(by_class) for e in rng.sample(by_class[c], 40)]
    test_ex = [e for t in stream.tasks for e in t.test]
    n_extract = 300
    extract_s = cpu(lambda: extractor.extract(train_ex[:n_extract])) / n_extract
    train_blk = extractor.extract(train_ex)
    test_blk = extractor.extract(test_ex)

    # evaluation with and without the hook that pools every layer (probing's share)
    from forgetlab.probing.prober import Prober

    prober = Prober(spec.probe or None, stream, learner)
    encode = EncodeCache(learner)
    plain = cpu(lambda: evaluate(learner, stream, 4, encode, spec.eval.batch_size))
    hooked = cpu(
        lambda: evaluate(
            learner, stream, 4, encode, spec.eval.batch_size, on_hidden=prober.on_hidden
        )
    )
    hook_s = max(hooked - plain, 0.0) / len(test_ex)

    # a training step per example: one epoch over a slice of task 0
    task0 = stream.tasks[0]
    part = replace(task0, train=tuple(task0.train[: args.train_examples]))
    small = replace(stream, tasks=(part, *stream.tasks[1:]))
    ctx = stage_context(spec, small, learner, 0, encode, torch.device("cpu"))
    with progress_bar(False) as bar:
        train_s = cpu(lambda: train_stage(ctx, build_strategies(spec.strategy), bar))
    train_s /= args.train_examples
    training = train_s * T * CLASSES * PER_CLASS * EPOCHS

    def blocks(per_class: int, tasks: int):
        """Pool and test blocks of the first `tasks` tasks, `per_class` pool rows a class."""
        keep = np.zeros(len(train_blk.uids), bool)
        for c in np.unique(train_blk.labels)[: tasks * CLASSES]:
            keep[np.flatnonzero(train_blk.labels == c)[:per_class]] = True
        tmask = np.isin(test_blk.labels, np.unique(train_blk.labels)[: tasks * CLASSES])
        pool = FeatureBlock(
            train_blk.uids[keep],
            train_blk.labels[keep],
            {k: v[keep] for k, v in train_blk.layers.items()},
        )
        test = FeatureBlock(
            test_blk.uids[tmask],
            test_blk.labels[tmask],
            {k: v[tmask] for k, v in test_blk.layers.items()},
        )
        return pool, test

    kinds = ["linear", "ridge", "prototype", "cosine_prototype"]
    rows = []
    # old design: 20 per class, per-layer scikit-learn fits for P after each stage and P0
    # for every stage's classes (refit at observe(-1))
    old_fits = 0.0
    for i in range(T):
        pool, _ = blocks(20, i + 1)
        for k in layers:
            for kind in kinds:
                X, y = pool.layer(k), pool.labels
                old_fits += 2 * cpu(lambda X=X, y=y, kind=kind: build_probe(kind).fit(X, y))
    old_extract = extract_s * (sum(CLASSES * 20 * (i + 1) for i in range(T)) + T * CLASSES * 20)
    hook = hook_s * TEST * T * (T + 1)  # the hook pools every test batch at every evaluation
    old = old_extract + old_fits + hook
    rows.append(("before: 20 per class, 1 fit, sklearn", old_extract, old_fits, hook, old))
    for setting in args.settings:
        M, n, K = (int(x) for x in setting.split(":"))
        fits = 0.0
        for i in range(T):
            pool, test = blocks(M, i + 1)
            rs = np.random.default_rng(i)
            w = np.zeros((K, len(pool.uids)), bool)
            for c in np.unique(pool.labels):
                idx = np.flatnonzero(pool.labels == c)
                for s in range(K):
                    w[s, rs.choice(idx, min(n, len(idx) - 1), replace=False)] = True
            fits += cpu(
                lambda pool=pool, test=test, w=w: probe_stage(
                    kinds, layers, {0: pool}, {0: test}, {0: w}, [[0]], 1, ({0: pool}, {0: test})
                )
            )
        extract = extract_s * (sum(CLASSES * M * (i + 1) for i in range(T)) + T * CLASSES * M)
        total = extract + fits + hook
        rows.append((f"pool {M}, fit {n}, {K} subsamples", extract, fits, hook, total))
    lines = [
        f"`{command_line()}`",
        "",
        describe_machine(1),
        "",
        f"Measured (CPU s, one thread): a training step {1000 * train_s:.1f} ms per example, "
        f"an extraction {1000 * extract_s:.1f} ms per example, the evaluation hook "
        f"{1000 * hook_s:.2f} ms per test example. Training the quickstart: "
        f"{training:.0f} CPU s (composed).",
        "",
        "| probing design | extraction | fits (P and P0, 4 kinds, 7 layers) | eval hook "
        "| probing | probing / training |",
        "|---|---|---|---|---|---|",
    ]
    for name, e, f, h, tot in rows:
        lines.append(f"| {name} | {e:.1f} | {f:.1f} | {h:.1f} | {tot:.1f} | {tot / training:.1%} |")
    body = "\n".join(lines)
    print(body)
    if args.write:
        write_section("Probing cost on the quickstart, composed from measured parts", body)


if __name__ == "__main__":
    main()
