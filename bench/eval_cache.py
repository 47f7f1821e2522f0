"""Evaluation: time to fill the T x T accuracy matrix with and without feature caching.

    .venv/bin/python bench/eval_cache.py                    # quickstart stream, method head
    .venv/bin/python bench/eval_cache.py --small
    .venv/bin/python bench/eval_cache.py --set strategy.kind=seq_star --write

With a frozen backbone (method `head`; `seq_star` after its first task) the pooled features of
the test examples do not change from stage to stage, so forgetlab.eval.feature_cache computes
them once. The bench trains the stream stage by stage (forgetlab's own loop) and after each
stage (and before the first) scores every task twice, without and with the cache, timing
each and checking the two rows are identical. Training time is shown for scale.
"""

from __future__ import annotations

import argparse
import inspect
import time

import torch
from common import bench_spec, command_line, describe_machine, markdown_table, write_section
from overhead import add_common_args

from forgetlab.eval import evaluate
from forgetlab.eval.feature_cache import FrozenFeatureCache
from forgetlab.models import build_learner
from forgetlab.runs.device import pick_device
from forgetlab.spec import spec_from_dict
from forgetlab.strategies import build_strategies
from forgetlab.streams import build_stream
from forgetlab.train.batching import eval_batches
from forgetlab.train.encode import EncodeCache
from forgetlab.train.stream import train_stream

TITLE = "Evaluation: filling the accuracy matrix with and without feature caching"
WIRED = "cache" in inspect.signature(evaluate).parameters  # evaluate(..., cache=FrozenFeatureCache)


@torch.inference_mode()
def score_row(learner, stream, stage, encode, batch_size, predict) -> list[float]:
    """One row of R with `predict` (evaluate's loop, for when evaluate has no cache argument)."""
    learner.eval()
    row = []
    for j, task in enumerate(stream.tasks):
        cands, correct = stream.candidates(stage, j), 0
        for items in eval_batches(encode(list(task.test)), batch_size):
            batch = learner.collate(items).to(learner.device)
            correct += int((predict(batch, cands) == batch.labels).sum())
        row.append(correct / len(task.test))
    learner.train()
    return row


def row(
    learner, stream, stage, encode, batch_size, cache: FrozenFeatureCache | None
) -> list[float]:
    if WIRED:
        scores = evaluate(learner, stream, stage, encode, batch_size, cache=cache)
        return [s.accuracy for s in scores]
    predict = learner.predict if cache is None else cache.predict
    return score_row(learner, stream, stage, encode, batch_size, predict)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(ap)
    args = ap.parse_args()
    machine = describe_machine(args.threads)
    spec_dict = bench_spec(args.small, ["method.kind=head", "train.lr=2e-3", *args.sets])
    spec = spec_from_dict(spec_dict)
    stream = build_stream(spec.stream)
    learner = build_learner(spec, stream)
    device = pick_device(spec.train.device)
    learner.to(device)
    strategies = build_strategies(spec.strategy)
    encode = EncodeCache(learner)
    cache = FrozenFeatureCache(learner)
    bs = spec.eval.batch_size
    t_plain = t_cached = t_train = 0.0
    same = True
    stages = train_stream(
        learner, stream, strategies, spec.train, seed=spec.seed, device=device, encode=encode
    )
    for result in stages:  # stage -1 (before training), then each trained stage
        stage = result.stage
        t_train += result.stats.seconds if result.stats else 0.0
        t0 = time.perf_counter()
        plain = row(learner, stream, stage, encode, bs, None)
        t_plain += time.perf_counter() - t0
        t0 = time.perf_counter()
        cached = row(learner, stream, stage, encode, bs, cache)
        t_cached += time.perf_counter() - t0
        same = same and plain == cached
        print(f"  stage {stage}: rows equal {plain == cached}", flush=True)
    T, n = len(stream.tasks), sum(len(t.test) for t in stream.tasks)
    s = spec_dict["stream"]
    label = " (--small: a check of the script, not a benchmark figure)" if args.small else ""
    strategies_text = "+".join(x.kind for x in spec.strategy)
    rows = [
        ["without cache", t_plain, f"{(T + 1) * n:,}", ""],
        ["with FrozenFeatureCache", t_cached, f"{cache.computed_:,}", f"{t_plain / t_cached:.1f}x"],
    ]
    text = "\n".join(
        [
            f"Machine: {machine}",
            "",
            f"{spec.model.name}, method {spec.method.kind}, strategy {strategies_text}, on "
            f"{s['kind']} ({T} tasks, {n} test examples), eval batch {bs}: T + 1 = {T + 1} "
            f"evaluations of every task{label}. Training the {T} stages took {t_train:.1f} s. "
            f"Evaluation path: {'evaluate(cache=...)' if WIRED else 'cache.predict in the bench'}.",
            "",
            "```",
            command_line(),
            "```",
            "",
            markdown_table(
                ["", "eval s (all rows)", "backbone passes (examples)", "speedup"], rows
            ),
            "",
            f"Identical accuracy rows with and without the cache: {same}.",
        ]
    )
    print(text)
    if args.write:
        write_section(TITLE + (" (--small)" if args.small else ""), text)


if __name__ == "__main__":
    main()
