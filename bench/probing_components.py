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
    from forgetlab.spec import load_spec
    from forgetlab.strategies import build_strategies
    from forgetlab.streams import build_experiment_stream
    from forgetlab.train.encode import EncodeCache
    from forgetlab.train.loop import train_stage
    from forgetlab.train.stream import stage_context

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

    prober = Prober(spec.probe or None, stream, learner, seed=spec.seed)
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
    ctx = stage_context(learner, small, spec.train, 0, spec.seed, encode, torch.device("cpu"))
    with progress_bar(False) as bar:
        train_s = cpu(lambda: train_stage(ctx, build_strategies(spec.strategy), bar))
    train_s /= args.train_examples
    training = train_s * T * CLASSES * PER_CLASS * EPOCHS

    def task_blocks(per_class: int, t: int) -> tuple[FeatureBlock, FeatureBlock]:
        """Task t's pool (`per_class` rows of each of its classes) and test blocks."""
        classes = np.unique(train_blk.labels)[t * CLASSES : (t + 1) * CLASSES]
        keep = np.zeros(len(train_blk.uids), bool)
        for c in classes:
            keep[np.flatnonzero(train_blk.labels == c)[:per_class]] = True
        tmask = np.isin(test_blk.labels, classes)
        pick = lambda b, m: FeatureBlock(  # noqa: E731
            b.uids[m], b.labels[m], {k: v[m] for k, v in b.layers.items()}
        )
        return pick(train_blk, keep), pick(test_blk, tmask)

    kinds = ["linear", "ridge", "prototype", "cosine_prototype"]
    rows = []
    # old design: 20 per class, per-layer scikit-learn fits for P after each stage and P0
    # for every stage's classes (refit at observe(-1))
    old_fits = 0.0
    for i in range(T):
        pools = [task_blocks(20, t)[0] for t in range(i + 1)]
        y = np.concatenate([b.labels for b in pools])
        for k in layers:
            X = np.concatenate([b.layer(k) for b in pools])
            for kind in kinds:
                old_fits += 2 * cpu(lambda X=X, y=y, kind=kind: build_probe(kind).fit(X, y))
    old_extract = extract_s * (sum(CLASSES * 20 * (i + 1) for i in range(T)) + T * CLASSES * 20)
    # the hook pools the test batches of every task before training, of the seen tasks after
    hook = hook_s * TEST * (T + T * (T + 1) // 2)
    old = old_extract + old_fits + hook
    rows.append(("before: 20 per class, 1 fit, sklearn", old_extract, old_fits, hook, old, []))
    for setting in args.settings:
        M, n, K = (int(x) for x in setting.split(":"))
        rs = np.random.default_rng(0)
        pools, tests, fit, hits = {}, {}, {}, {}
        for t in range(T):
            pools[t], tests[t] = task_blocks(M, t)
            w = np.zeros((K, len(pools[t].uids)), bool)
            for c in np.unique(pools[t].labels):
                idx = np.flatnonzero(pools[t].labels == c)
                for s in range(K):
                    w[s, rs.choice(idx, min(n, len(idx) - 1), replace=False)] = True
            fit[t] = w
            hits[t] = rs.random(len(tests[t].uids)) < 0.3  # a model's own hits: P vs R tests
        fits, record = 0.0, {}
        for i in range(T):
            seen = list(range(i + 1))

            def stage(seen=seen, pools=pools, tests=tests, record=record, fit=fit, hits=hits):
                pool, test = {t: pools[t] for t in seen}, {t: tests[t] for t in seen}
                record.update(
                    probe_stage(kinds, layers, pool, test, fit, [seen], T, (pool, test), hits)
                )

            fits += cpu(stage)
        extract = extract_s * (sum(CLASSES * M * (i + 1) for i in range(T)) + T * CLASSES * M)
        total = extract + fits + hook
        half = [(c[1] - c[0]) / 2 for c in record["probes"]["linear"]["interval"][-1]]
        rows.append((f"pool {M}, fit {n}, {K} subsamples", extract, fits, hook, total, half))
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
        "| probing design | extraction | fits (P and P0, 4 kinds, 7 layers, paired tests) "
        "| eval hook | probing | probing / training | linear P interval, last stage: "
        "half-width per task |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, e, f, h, tot, half in rows:
        widths = " ".join(f"{x:.3f}" for x in half) or "(no interval)"
        lines.append(
            f"| {name} | {e:.1f} | {f:.1f} | {h:.1f} | {tot:.1f} | {tot / training:.1%} "
            f"| {widths} |"
        )
    lines += [
        "",
        "Seconds are CPU seconds on one thread (training too), so the ratios do not depend on "
        "the machine's load; the fits use the untrained model's features for P and P0 (the "
        "same shapes as a run's). The intervals are the untrained model's linear probes at "
        "the last layer with 15 classes, on the quickstart's 150 test examples per task.",
    ]
    body = "\n".join(lines)
    print(body)
    if args.write:
        write_section("Probing cost on the quickstart, composed from measured parts", body)


if __name__ == "__main__":
    main()
