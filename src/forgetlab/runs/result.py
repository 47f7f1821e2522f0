"""What `forgetlab.run` and `forgetlab.load_run` return: a run directory and its results.

run = forgetlab.load_run("runs/seq")
run.tasks, run.task_classes, run.accuracy_matrix, run.metrics
run.scores            # DIR/scores.csv as a pandas DataFrame (long form)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from forgetlab.runs.schema import ResultsFile


@dataclass(frozen=True)
class Run:
    """A run directory and its parsed results.json."""

    run_dir: Path
    results: ResultsFile  # None in the non-main processes of a distributed run

    @property
    def tasks(self) -> list[str]:
        """The task names, in the order they were trained (the columns of the matrix)."""
        return list(self.results.tasks)

    @property
    def task_classes(self) -> list[list[str]]:
        """The labels that form each task (empty lists for runs written before they were
        recorded, and for generative streams)."""
        return [list(c) for c in self.results.task_classes]

    @property
    def accuracy_matrix(self) -> np.ndarray:
        return np.array(self.results.accuracy_matrix)

    @property
    def initial_accuracy(self) -> np.ndarray:
        return np.array(self.results.initial_accuracy)

    @property
    def metrics(self) -> dict[str, float | None]:
        return self.results.metrics

    @property
    def scores(self):
        """DIR/scores.csv as a pandas DataFrame (see `forgetlab.runs.loading.read_scores`)."""
        from forgetlab.runs.loading import read_scores

        return read_scores(self.run_dir)
