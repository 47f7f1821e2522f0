"""Membership decay, measured offline: dataset inference for every task after every stage of
a continual run, beside its accuracy matrix R (until the per-stage observer exists).

    .venv/bin/python bench/membership_decay.py --out runs/bench-decay [--seeds 0 1 2]

A 5-task task-incremental WordNet stream (2 categories per task, 100 training and 50 test
glosses per category), tiny-gpt2 text to text, `seq`, 5 epochs per task at lr 3e-3,
checkpoints after every stage. The learner is rebuilt from the run's spec and each stage's
checkpoint is loaded in turn (as `forgetlab probe` does); after each stage (and before any:
row "initial"), `membership_test(learner, None, task.train[:100], task.test[:100])` for
every task: M[i][j] is the combined p-value (10 splits, 50 examples per set) that the model
after stage i was trained on task j's training data, against its test data (never trained
on). Tasks after i were not trained yet: their column is a null check. Prints R and M.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

N = 100  # examples per set: 100 training glosses of the task vs its 100 test glosses


def spec_dict(seed: int) -> dict:
    return {
        "name": "membership-decay",
        "seed": seed,
        "model": {"name": "tiny-gpt2"},
        "stream": {
            "kind": "wordnet-til",
            "n_tasks": 5,
            "classes_per_task": 2,
            "train_per_class": 100,
            "test_per_class": 50,
            "prompt": "Definition: {text}\nCategory:",
        },
        "train": {"epochs": 5, "lr": 3e-3, "batch_size": 32, "checkpoint": "every"},
    }


def membership_matrix(run_dir: Path, seed: int) -> list[list[float]]:
    from forgetlab.inference import membership_test
    from forgetlab.models import build_learner
    from forgetlab.probing.offline import checkpoint_stages
    from forgetlab.runs.checkpoint import load_trainable
    from forgetlab.spec import load_spec
    from forgetlab.streams import build_experiment_stream

    spec = load_spec(run_dir / "spec.toml")
    stream = build_experiment_stream(spec)
    learner = build_learner(spec, stream)  # seeded: the run's initial model

    def row() -> list[float]:
        out = []
        for task in stream.tasks:
            res = membership_test(
                learner, None, task.train[:N], task.test[:N], seed=seed, sizes=[N // 2]
            )
            out.append(res["verdict"]["p_value"])
        return out

    rows = [row()]
    for stage, folder in checkpoint_stages(run_dir):
        learner.begin_stage(stage)
        load_trainable(learner, folder)
        rows.append(row())
    return rows


def show(name: str, rows: list[list[float]], fmt: str) -> None:
    print(f"\n{name}\n| after | " + " | ".join(f"task {j}" for j in range(len(rows[0]))) + " |")
    print("|---" * (len(rows[0]) + 1) + "|")
    for i, r in enumerate(rows):
        label = "initial" if i == 0 else f"stage {i - 1}"
        print(f"| {label} | " + " | ".join(format(x, fmt) for x in r) + " |")


def main() -> None:
    import torch

    import forgetlab
    from forgetlab.spec import spec_from_dict

    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    torch.set_num_threads(1)
    results = {}
    for seed in args.seeds:
        t0 = time.time()
        run_dir = args.out / f"seed{seed}"
        result = forgetlab.run(spec_from_dict(spec_dict(seed)), out=run_dir, overwrite=True)
        R = [result.initial_accuracy.tolist(), *result.accuracy_matrix.tolist()]
        M = membership_matrix(run_dir, seed)
        results[seed] = {"R": R, "M": M, "seconds": round(time.time() - t0)}
        print(f"\nseed {seed} ({results[seed]['seconds']} s)")
        show("R (accuracy; initial = before training)", R, ".3f")
        show("M (dataset-inference p-value, 50 examples per set)", M, ".2g")
    (args.out / "membership_decay.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
