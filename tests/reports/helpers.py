"""Hand-built run directories, probing objects and sweep tables with planted numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

TASKS = ["t0:a+b", "t1:c+d", "t2:e+f"]
R = [[0.9, 0.1, 0.0], [0.3, 0.8, 0.2], [0.1, 0.4, 0.7]]
INITIAL = [0.5, 0.2, 0.1]
METRICS = {
    "average_accuracy": 0.4,
    "learning_accuracy": 0.8,
    "bwt": -0.6,
    "average_forgetting": 0.6,
    "fwt": 0.05,
}


def results_dict(name: str = "hand", R=R, metrics=METRICS, **extra) -> dict:
    """A results.json as `forgetlab run` writes it, with planted numbers."""
    stages = [
        {
            "stage": i,
            "task": TASKS[i],
            "train_s": 10.0 + i,
            "eval_s": 2.0,
            "steps": 20,
            "examples": 120,
            "tokens": 1000,
            "padded_tokens": 1200,
            "mean_loss": 0.5,
            "last_loss": 0.25,
            "accuracy": row,
            "strategy_s": {"seq": 0.5},
        }
        for i, row in enumerate(R)
    ]
    return {
        "status": "complete",
        "name": name,
        "seed": 0,
        "device": "cpu",
        "scenario": "class_incremental",
        "stream": "wordnet-cil",
        "tasks": TASKS[: len(R[0])],
        "classes": list("abcdef"),
        "task_hashes": {t: f"h{j}" for j, t in enumerate(TASKS)},
        "model": {
            "name": "tiny-bert",
            "mode": "classifier",
            "total_params": 1000,
            "trainable_params": 250,
            "trainable_fraction": 0.25,
        },
        "method": "full",
        "strategies": ["seq"],
        "strategy_cost": {"seq": {"seconds": 1.5, "state_bytes": 0.0}},
        "initial_accuracy": INITIAL,
        "accuracy_matrix": R,
        "test_counts": [20, 20, 20],
        "metrics": metrics,
        "stages": stages,
        "initial_eval_s": 1.0,
        "wall_time_s": 42.0,
        "started_at": "2026-11-21T10:00:00+00:00",
        "finished_at": "2026-11-21T10:00:42+00:00",
        "versions": {"torch": "2.13.0"},
        "git": {"commit": "abc", "dirty": False, "branch": "main"},
        **extra,
    }


def write_run(path: Path, results: dict, spec_text: str = 'name = "hand"\nseed = 0\n') -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "results.json").write_text(json.dumps(results))
    (path / "spec.toml").write_text(spec_text)
    return path


def layer_acc(scale: float) -> list:
    """[stage][layer][task] for 3 stages, 3 layers: unseen tasks null; acc = scale*(l+1)/3."""
    return [
        [[round(scale * (layer + 1) / 3, 4) if j <= s else None for j in range(3)]
         for layer in range(3)]
        for s in range(3)
    ]  # fmt: skip


def tri(M: list) -> list:
    """Lower triangle of M (tasks seen so far), null above the diagonal."""
    return [[v if j <= i else None for j, v in enumerate(row)] for i, row in enumerate(M)]


P_LINEAR = tri([[0.95, 0, 0], [0.85, 0.9, 0], [0.8, 0.7, 0.9]])
P0_LINEAR = tri([[0.7, 0, 0], [0.65, 0.6, 0], [0.6, 0.5, 0.6]])
P_PROTO = tri([[0.9, 0, 0], [0.6, 0.85, 0], [0.5, 0.4, 0.8]])
P0_PROTO = tri([[0.8, 0, 0], [0.7, 0.7, 0], [0.7, 0.6, 0.7]])


def probing_dict() -> dict:
    """A `probing` object as the contract describes: 2 probe kinds, layers 0..2."""

    def kind(P, P0, scale):
        return {
            "accuracy_matrix": P,
            "best_layer_accuracy_matrix": P,
            "best_layer": [2, 2, 1],
            "layer_accuracy": layer_acc(scale),
            "baseline_accuracy_matrix": P0,
            "baseline_layer_accuracy": layer_acc(scale * 0.7),
            "gap_vs_model": [[None if p is None else p - r for p, r in zip(pr, rr)]
                             for pr, rr in zip(P, R)],
            "gap_vs_baseline": [[None if p is None else p - b for p, b in zip(pr, br)]
                                for pr, br in zip(P, P0)],
        }  # fmt: skip

    def interval(M, half):
        return [[None if v is None else [v - half, v + half] for v in row] for row in M]

    def test(diff, p):
        return {"diff": diff, "low": diff - 0.1, "high": diff + 0.1, "p": p}

    linear = kind(P_LINEAR, P0_LINEAR, 0.9)  # with intervals and paired tests (prototype:
    linear |= {  # recorded by an older forgetlab, without them)
        "accuracy_interval": interval(P_LINEAR, 0.05),
        "baseline_accuracy_interval": interval(P0_LINEAR, 0.04),
        "test_vs_model": [[None] * 3, [None] * 3, [test(0.7, 0.001), test(0.3, 0.2),
                                                   test(0.2, 0.01)]],
        "test_vs_baseline": [[None] * 3, [None] * 3, [test(0.2, 0.03), test(0.2, 0.5),
                                                      test(0.3, 0.04)]],
    }  # fmt: skip
    return {
        "layers": [0, 1, 2],
        "pooling": "mean",
        "probes": ["linear", "prototype"],
        "accuracy_matrix": P_LINEAR,
        "best_layer_accuracy_matrix": P_LINEAR,
        "by_probe": {"linear": linear, "prototype": kind(P_PROTO, P0_PROTO, 0.8)},
        "subsamples": 10,
        "train_per_class": 20,
        "cka": [[1.0, 0.9, 0.6], [1.0, 0.85, 0.5], [1.0, 0.8, 0.4]],
        "separability": tri([[2.0, 0, 0], [1.5, 2.5, 0], [1.0, 1.2, 3.0]]),
        "overlap": [None, 0.4, 0.6],
        "baseline_separability": [1.0, 1.1, 1.2],
        "baseline_overlap": [None, 0.3, 0.35],
        "seconds": [1.0, 1.5, 2.0],
        "baseline_seconds": 1.0,
    }


def sweep_cells() -> pd.DataFrame:
    """factor in {1, 2, 4} x strategy {seq, ewc} x seed {0, 1, 2} x order {0, 1}.

    average_forgetting = 0.8 / factor (seq) or 0.4 / factor (ewc), plus seed * 0.01 and
    order * 0.1; learning_accuracy = 0.9 (seq) / 0.7 (ewc); one cell failed."""
    rows = []
    n = 0
    for factor in (1, 2, 4):
        for strategy, base, learn in (("seq", 0.8, 0.9), ("ewc", 0.4, 0.7)):
            for seed in (0, 1, 2):
                for order in (0, 1):
                    forgetting = base / factor + seed * 0.01 + order * 0.1
                    rows.append(
                        {
                            "cell": f"c{n:03d}",
                            "transform.0.factor": factor,
                            "strategy.kind": strategy,
                            "seed": seed,
                            "order": order,
                            "status": "done",
                            "run_dir": f"cells/c{n:03d}",
                            "average_forgetting": forgetting,
                            "learning_accuracy": learn,
                            "average_accuracy": learn - forgetting,
                            "bwt": -forgetting,
                            "fwt": 0.0,
                        }
                    )
                    n += 1
    cells = pd.DataFrame(rows)
    failed = cells.index[-1]
    cells.loc[failed, "status"] = "failed"
    cells.loc[
        failed, ["average_forgetting", "learning_accuracy", "average_accuracy", "bwt", "fwt"]
    ] = float("nan")
    return cells


AXES = ["transform.0.factor", "strategy.kind", "seed", "order"]
