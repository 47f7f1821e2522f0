"""One stage's probes, features in and numbers out: fit every probe kind on every layer and
subsample at once, pick the best layer on validation rows, score the test rows, compare
with the untrained model and with the model's own predictions.

    record = probe_stage(kinds, layers, pool, test, fit, groups, n_tasks,
                         baseline=(pool0, test0), model_hits=hits, seed=(seed, stage))
    record["probes"]["linear"]["accuracy"][layer][task]     # mean over subsamples

`pool[t]` / `test[t]` are the FeatureBlocks of task t's probe pool and test examples (rows
in the design's order), `fit[t]` the (K, pool rows) training mask of each subsample,
`groups` the task sets one probe is fit on (all seen tasks: class-incremental; each task
alone: task-incremental). `baseline` holds the untrained model's blocks of the same rows;
`model_hits[t]` the model's own 0/1 hits on test[t]. The record is JSON-able (README,
"Probing statistics"): per kind, accuracy and its interval over subsamples at every
layer, validation accuracy, the best layer, and at the last layer the paired tests
P vs P0 (`vs_baseline`) and P vs R (`vs_model`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from forgetlab.probing.batched import ProbeData, fit_threads
from forgetlab.probing.features import FeatureBlock
from forgetlab.probing.probes import probe_kinds
from forgetlab.probing.stats import DRAWS, mean_interval, paired_test

Blocks = dict[int, FeatureBlock]


def _stack(blocks: list[Blocks], tasks: list[int], layers: list[int]) -> torch.Tensor:
    """(F * L, rows, H) features of `tasks` (rows concatenated) for each feature set."""
    return torch.from_numpy(
        np.stack([np.concatenate([b[t].layer(k) for t in tasks]) for b in blocks for k in layers])
    )


def fit_group(
    kinds: list[str],
    layers: list[int],
    pools: list[Blocks],
    tests: list[Blocks],
    fit: dict[int, np.ndarray],
    tasks: list[int],
) -> dict[str, tuple[dict[int, np.ndarray], dict[int, np.ndarray]]]:
    """kind -> (test hits, validation hits) of one probe group (the classes of `tasks`):
    task -> (F, L, K, rows) bool, with F feature sets; validation hits are False on the
    rows a subsample was fit on."""
    F, L = len(pools), len(layers)
    labels = np.concatenate([pools[0][t].labels for t in tasks])
    classes = np.unique(labels)
    y = torch.from_numpy(np.searchsorted(classes, labels))
    w = torch.from_numpy(np.concatenate([fit[t] for t in tasks], axis=1).astype(np.float32))
    X = _stack(pools, tasks, layers)
    Xq = torch.cat([X, _stack(tests, tasks, layers)], 1)
    test_labels = np.concatenate([tests[0][t].labels for t in tasks])
    pos = np.searchsorted(classes, test_labels).clip(0, len(classes) - 1)
    y_test = np.where(classes[pos] == test_labels, pos, -1)  # a class never trained on: -1
    truth = np.concatenate([y.numpy(), y_test])
    n_pool = [len(pools[0][t].uids) for t in tasks]
    n_test = [len(tests[0][t].uids) for t in tasks]
    out = {}
    for kind in kinds:
        if len(classes) == 1:  # one class: predicted everywhere (Probe.fit does the same)
            pred = np.zeros((F * L, w.shape[0], Xq.shape[1]), dtype=np.int64)
        else:
            with fit_threads():
                data = ProbeData(X, y, w, len(classes))
                pred = probe_kinds.get(kind).fit_batched(data)(Xq).numpy()
        hits = (pred == truth).reshape(F, L, w.shape[0], -1)
        val_hits = hits[..., : len(y)] & ~w.numpy().astype(bool)
        test_hits = hits[..., len(y) :]
        out[kind] = (
            dict(zip(tasks, np.split(test_hits, np.cumsum(n_test)[:-1], axis=-1))),
            dict(zip(tasks, np.split(val_hits, np.cumsum(n_pool)[:-1], axis=-1))),
        )
    return out


def best_layer(validation: list[list[float | None]]) -> int | None:
    """Index of the layer with the highest mean validation accuracy over the tasks that
    have validation rows (ties: the lowest layer); None without validation rows."""
    means = [
        np.mean([v for v in row if v is not None]) if any(v is not None for v in row) else np.nan
        for row in validation
    ]
    if not means or all(np.isnan(means)):
        return None
    return int(np.nanargmax(means))


def _interval(hits: np.ndarray) -> list[float] | None:
    """[low, high] over subsamples of (K, rows) hits."""
    ci = mean_interval(hits.mean(-1))
    return None if ci is None else [ci[1], ci[2]]


def probe_stage(
    kinds: list[str],
    layers: list[int],
    pool: Blocks,
    test: Blocks,
    fit: dict[int, np.ndarray],
    groups: list[list[int]],
    n_tasks: int,
    baseline: tuple[Blocks, Blocks] | None = None,
    model_hits: dict[int, np.ndarray] | None = None,
    seed: Sequence[int] = (0,),
    draws: int = DRAWS,
) -> dict:
    """The probes of one stage (module docstring): {"probes": {kind: {...}}}."""
    pools, tests = [pool], [test]
    if baseline is not None:
        pools.append(baseline[0])
        tests.append(baseline[1])
    per_kind: dict[str, tuple[dict, dict]] = {k: ({}, {}) for k in kinds}
    for group in groups:
        for kind, (t_hits, v_hits) in fit_group(kinds, layers, pools, tests, fit, group).items():
            per_kind[kind][0].update(t_hits)
            per_kind[kind][1].update(v_hits)
    seen = sorted(t for g in groups for t in g)
    val_rows = {t: (~fit[t]).sum() for t in seen}  # validation rows over all subsamples
    L, last = len(layers), len(layers) - 1
    out = {}
    for ki, kind in enumerate(kinds):
        t_hits, v_hits = per_kind[kind]

        def matrix(f: int, value, t_hits=t_hits) -> list[list]:
            return [
                [value(t_hits[t][f, li]) if t in t_hits else None for t in range(n_tasks)]
                for li in range(L)
            ]

        validation = [
            [
                float(v_hits[t][0, li].sum() / val_rows[t])
                if t in v_hits and val_rows[t] > 0
                else None
                for t in range(n_tasks)
            ]
            for li in range(L)
        ]
        rec = {
            "accuracy": matrix(0, lambda h: float(h.mean())),
            "interval": matrix(0, _interval),
            "validation": validation,
            "best_layer": best_layer(validation),
            "vs_model": [None] * n_tasks,
        }
        if baseline is not None:
            rec["baseline"] = matrix(1, lambda h: float(h.mean()))
            rec["baseline_interval"] = matrix(1, _interval)
            rec["vs_baseline"] = [None] * n_tasks
        for t in seen:
            P = t_hits[t][0, last]  # (K, rows) at the last layer
            if baseline is not None:
                rng = np.random.default_rng([*seed, t, ki, 0])
                rec["vs_baseline"][t] = paired_test(P, t_hits[t][1, last], rng, draws).as_dict()
            if model_hits is not None and t in model_hits:
                rng = np.random.default_rng([*seed, t, ki, 1])
                rec["vs_model"][t] = paired_test(P, model_hits[t], rng, draws).as_dict()
        out[kind] = rec
    return {"probes": out}
