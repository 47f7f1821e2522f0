"""Replay and padding: tokens computed vs real for seq, ER and DER++, replay drawn at random
(the old way) vs matched by length, on one 4-task stream.

    .venv/bin/python bench/replay_padding.py            # tiny-bert (MiniLM's tokenizer)
    .venv/bin/python bench/replay_padding.py --write

Token counts depend on the tokenizer and the batching only, so a tiny model with MiniLM's
WordPiece vocabulary gives the quickstart's counts at a fraction of the time. "computed" is
every position of every batch the model ran in training (padding included): the stage's
batches and, for DER++, its two replay batches per step. Target (issue 20): replay's extra
computed tokens over seq are its extra real tokens, not padding.
"""

from __future__ import annotations

import argparse
import tempfile
from contextlib import contextmanager, nullcontext

from common import bench_spec, command_line, describe_machine, markdown_table, write_section
from overhead import add_common_args

TITLE = "Replay without padding waste: tokens computed vs real"


@contextmanager
def random_replay():
    """The old draws: memory examples at random, whatever their length."""
    from forgetlab.strategies.buffers import ReplayMemory

    similar = ReplayMemory.sample_similar
    ReplayMemory.sample_similar = lambda self, k, rng, at=None: self.sample(k, rng)
    try:
        yield
    finally:
        ReplayMemory.sample_similar = similar


@contextmanager
def counting_replay(counts: dict):
    """Add DER++'s replay batches (run inside its penalty) to the counts."""
    from forgetlab.strategies.derpp import DERPP

    replay = DERPP._replay

    def counted(self, ctx, k):
        batch, mask, picked = replay(self, ctx, k)
        counts["real"] += batch.num_tokens
        counts["computed"] += batch.input_ids.numel()
        return batch, mask, picked

    DERPP._replay = counted
    try:
        yield
    finally:
        DERPP._replay = replay


def run(spec_dict: dict, kind: str, old: bool) -> dict:
    from forgetlab.experiment import run as run_experiment
    from forgetlab.spec import spec_from_dict

    spec = spec_from_dict({**spec_dict, "strategy": {"kind": kind}})
    counts = {"real": 0, "computed": 0}
    with tempfile.TemporaryDirectory() as out:
        with counting_replay(counts), random_replay() if old else nullcontext():
            res = run_experiment(spec, out=f"{out}/run", report=False)
    stages = res.results.stages
    counts["real"] += sum(s.tokens for s in stages)
    counts["computed"] += sum(s.padded_tokens for s in stages)
    counts["avg_acc"] = res.results.metrics["average_accuracy"]
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(ap)
    args = ap.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    sets = ["model.name=tiny-bert", "stream.n_tasks=4", "train.checkpoint=none", *args.sets]
    if args.small:
        sets += ["stream.train_per_class=60", "stream.test_per_class=10"]
    spec = bench_spec(False, sets)
    seq = run(spec, "seq", False)
    rows = [["seq", "", seq["real"], seq["computed"], seq["computed"] / seq["real"], "", ""]]
    for kind in ("er", "derpp"):
        for old in (True, False):
            r = run(spec, kind, old)
            extra_real, extra = r["real"] - seq["real"], r["computed"] - seq["computed"]
            rows.append(
                [
                    kind,
                    "at random (old)" if old else "by length (new)",
                    r["real"],
                    r["computed"],
                    r["computed"] / r["real"],
                    extra_real,
                    f"{extra / extra_real:.2f}",
                ]
            )
            print(f"  {kind} {'old' if old else 'new'}: {rows[-1][2:]}", flush=True)
    s = spec["stream"]
    text = "\n".join(
        [
            f"Machine: {describe_machine(args.threads)}",
            "",
            f"tiny-bert (MiniLM's tokenizer) on {s['kind']} ({s['n_tasks']} tasks x "
            f"{s['classes_per_task']} classes, {s['train_per_class']} per class), "
            f"{spec['train']['epochs']} epochs, batch {spec['train']['batch_size']}; ER and "
            "DER++ with their defaults (memory 200, one replayed example per current one).",
            "",
            "```",
            command_line(),
            "```",
            "",
            markdown_table(
                [
                    "strategy",
                    "replay draws",
                    "real tokens",
                    "computed tokens",
                    "computed / real",
                    "extra real over seq",
                    "extra computed / extra real",
                ],
                rows,
            ),
        ]
    )
    print(text)
    if args.write:
        write_section(TITLE + (" (--small)" if args.small else ""), text)


if __name__ == "__main__":
    main()
