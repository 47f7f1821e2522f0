"""The long-form rows of scores.csv and the final metrics as JSON, from a run's results."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from forgetlab.runs.schema import ResultsFile

# The columns that name the run on every row of scores.csv, before the score's own columns:
# the files of several runs concatenate into one table (`forgetlab.load_runs`).
RUN_COLUMNS = ("run", "strategy", "method", "model", "seed")
SCORE_COLUMNS = ("stage", "task", "metric", "value", "layer")


def run_columns(results: ResultsFile, run_dir) -> tuple:
    """(run folder name, strategies joined by '+', method, model name, seed)."""
    return (
        Path(run_dir).name,
        "+".join(results.strategies),
        results.method,
        results.model.name,
        results.seed,
    )


def nan_to_none(d: dict[str, float | None]) -> dict[str, float | None]:
    return {k: (None if v is None or np.isnan(v) else float(v)) for k, v in d.items()}


def score_rows(results: ResultsFile) -> list[tuple]:
    """Long-form rows for scores.csv: R per (stage, task) under the name of what it holds
    (`score_metric`: accuracy, or a generative stream's text score), the other text scores
    of generative streams, then the final figures."""
    name = (results.model_extra or {}).get("score_metric") or "accuracy"
    rows = [(-1, t, name, a) for t, a in zip(results.tasks, results.initial_accuracy)]
    for i, row in enumerate(results.accuracy_matrix):
        rows += [(i, t, name, a) for t, a in zip(results.tasks, row)]
    for rec in results.stages:
        for metric, values in ((rec.model_extra or {}).get("scores") or {}).items():
            if metric != name:
                rows += [(rec.stage, t, metric, v) for t, v in zip(results.tasks, values)]
        rows += [
            (rec.stage, t, "exact_match", a) for t, a in zip(results.tasks, rec.exact_match or [])
        ]
        for t, groups in rec.group_accuracy.items():
            rows += [(rec.stage, t, f"accuracy[{g}]", a) for g, a in groups.items()]
    last = len(results.accuracy_matrix) - 1
    rows += [(last, "", name, "" if v is None else v) for name, v in results.metrics.items()]
    return rows
