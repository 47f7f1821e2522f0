"""Read a run directory for reporting: `results.json` as a plain dict, `spec.toml` as text.

run = load_run(Path("runs/quickstart/20261121-101010"))
run.R, run.initial, run.tasks, run.results["metrics"], run.probing   # probing: dict or None

`probing` comes from results.json, or from DIR/probing/probing.json that `forgetlab probe DIR`
writes for a finished run.

Results are read as dicts, not through `ResultsFile`, so reports keep working on run
directories written by older or newer forgetlab versions (fields come and go; absent ones
are skipped).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from forgetlab.errors import RunDirError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class RunData:
    """One run directory's results (dict), spec (TOML text and parsed) and its path."""

    path: Path
    results: dict[str, Any]
    spec_text: str
    spec: dict[str, Any]

    @property
    def tasks(self) -> list[str]:
        return list(self.results["tasks"])

    @property
    def R(self) -> np.ndarray:
        """Accuracy matrix (stages done x tasks); NaN where missing."""
        return as_matrix(self.results.get("accuracy_matrix") or [], len(self.tasks))

    @property
    def initial(self) -> np.ndarray:
        return as_matrix([self.results.get("initial_accuracy") or []], len(self.tasks))[0]

    @property
    def stages(self) -> list[dict[str, Any]]:
        return list(self.results.get("stages") or [])

    @property
    def probing(self) -> dict[str, Any] | None:
        """results.json `probing`, else DIR/probing/probing.json (`forgetlab probe DIR`)."""
        if self.results.get("probing"):
            return self.results["probing"]
        offline = self.path / "probing" / "probing.json"
        if offline.is_file():
            try:
                return json.loads(offline.read_text()) or None
            except json.JSONDecodeError as e:
                raise RunDirError(f"{str(offline)!r} is not readable JSON: {e}") from None
        return None

    @property
    def label(self) -> str:
        """Short name: the run's name, plus its folder when that differs."""
        name = str(self.results.get("name", self.path.name))
        return name if name == self.path.name else f"{name} ({self.path.name})"


def as_matrix(rows: list, width: int) -> np.ndarray:
    """A list of rows (None for missing) as a float array of `width` columns, NaN-padded."""
    out = np.full((len(rows), width), np.nan)
    for i, row in enumerate(rows):
        vals = [np.nan if v is None else float(v) for v in (row or [])][:width]
        out[i, : len(vals)] = vals
    return out


def short_task_labels(tasks: list[str]) -> list[str]:
    """Axis labels: `t0` for `t0:adj.all+noun.food`, the name itself when short."""
    labels = []
    for j, t in enumerate(tasks):
        head = t.split(":", 1)[0]
        labels.append(head if ":" in t else (t if len(t) <= 12 else f"task {j}"))
    return labels


def load_run(path: str | Path) -> RunData:
    """Read DIR/results.json and DIR/spec.toml; RunDirError naming the file if unusable."""
    path = Path(path)
    res_file = path / "results.json"
    if not res_file.is_file():
        raise RunDirError(f"{str(res_file)!r} not found: not a forgetlab run directory")
    try:
        results = json.loads(res_file.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise RunDirError(f"{str(res_file)!r} is not readable JSON: {e}") from None
    missing = [k for k in ("tasks", "accuracy_matrix") if k not in results]
    if missing:
        raise RunDirError(f"{str(res_file)!r} lacks {', '.join(missing)}: not a run's results")
    spec_file = path / "spec.toml"
    spec_text = spec_file.read_text() if spec_file.is_file() else ""
    try:
        spec = tomllib.loads(spec_text)
    except tomllib.TOMLDecodeError as e:
        raise RunDirError(f"{str(spec_file)!r} is not valid TOML: {e}") from None
    return RunData(path=path, results=results, spec_text=spec_text, spec=spec)
