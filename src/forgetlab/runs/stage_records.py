"""Pieces of a run's results.json and resume state computed from the stage loop's results:
chance and majority baselines, the stream's JSON-able info, each strategy's cost, and a
trained stage's result to and from JSON."""

from __future__ import annotations

import json

from forgetlab.metrics.baselines import NEAR_CHANCE, chance_matrix, majority_accuracy
from forgetlab.runs.schema import Baselines
from forgetlab.train.stream import StageResult


def baselines_of(stream) -> Baselines | None:
    """Chance (1 / candidates) and majority-class accuracy per cell of R; None for generative
    streams, whose scores are text similarities without a candidate set."""
    if stream.generative:
        return None
    chance = chance_matrix(stream)
    return Baselines(
        chance=chance[1:],
        initial_chance=chance[0],
        majority=majority_accuracy(stream),
        near_chance_threshold=NEAR_CHANCE,
    )


def json_safe(info: dict) -> dict:
    """The JSON-able part of a stream's info (plain values, lists and tables)."""
    try:
        return json.loads(json.dumps(info))
    except (TypeError, ValueError):
        return {k: v for k, v in info.items() if isinstance(v, (str, int, float, list, dict))}


def strategy_cost(strategies, results: list[StageResult]) -> dict[str, dict[str, float]]:
    """Per strategy: seconds in its hooks (in all, and per hook), bytes of fitted state."""
    cost: dict[str, dict[str, float]] = {}
    for st in strategies:
        kind = st.spec.kind
        per_hook: dict[str, float] = {}
        for r in results:
            for hook, s in (r.stats.hook_s or {}).get(kind, {}).items():
                per_hook[hook] = per_hook.get(hook, 0.0) + s
        cost[kind] = {
            "seconds": sum(per_hook.values()),
            "state_bytes": float(st.state_bytes()),
            **{f"{hook}_s": s for hook, s in per_hook.items()},
        }
    return cost


def result_to_json(r: StageResult) -> dict:
    """A trained stage's result as JSON, for the resume state."""
    return {
        "stage": r.stage,
        "stats": {**r.stats.__dict__, "trained": sorted(r.stats.trained)},
        "records": r.records,
        "observer_s": r.observer_s,
    }


def result_from_json(d: dict) -> StageResult:
    from forgetlab.train.loop import StageStats

    stats = StageStats(**{**d["stats"], "trained": frozenset(d["stats"]["trained"])})
    return StageResult(d["stage"], stats, d["records"], d["observer_s"], stats.trained)
