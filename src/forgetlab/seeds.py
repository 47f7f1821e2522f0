"""One experiment under several seeds: a run per seed and a summary of every metric with its
mean and 95% Student-t interval (a claim needs seeds; one run is an anecdote).

    runs = forgetlab.run_seeds(spec, seeds=[0, 1, 2], out="runs/seq-3seeds")
    runs.summary["metrics"]["average_accuracy"]   # mean, std, n, ci95_low, ci95_high, values
    runs.summary["accuracy_matrix"]["mean"]        # R averaged over seeds, cell by cell
    runs.run_dirs                                  # one ordinary run directory per seed

    forgetlab run exp.toml --seeds 3               # seeds seed, seed+1, seed+2
    seeds = [0, 1, 2]                              # or in the spec (top level)

The seeds run as a sweep with a seed axis only (`forgetlab.sweeps`): the directory is a sweep
directory (cells/<id>/ are the runs; running the same command again resumes the unfinished
seeds), plus `seeds.json` (the summary) and `report.html` (the summary page). The interval
is mean +- t(0.975, n-1) * s / sqrt(n), as in sweeps (n < 2: no interval).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUMMARY = "seeds.json"


@dataclass(frozen=True)
class SeedRuns:
    """What `run_seeds` returns: the directory, the per-seed run directories, the summary."""

    dir: Path
    seeds: list[int]
    run_dirs: list[Path]
    summary: dict[str, Any]


def seeds_of(spec, n: int | None = None) -> list[int]:
    """The seeds to run: `n` consecutive seeds from spec.seed, else spec.seeds, else one."""
    if n is not None:
        return list(range(spec.seed, spec.seed + n))
    return list(spec.seeds) if spec.seeds else [spec.seed]


def _interval(values: list[float | None]) -> dict[str, Any]:
    from forgetlab.sweeps.aggregate import t_interval

    mean, std, n, low, high = t_interval(values)
    return {
        "mean": _json(mean),
        "std": _json(std),
        "n": n,
        "ci95_low": _json(low),
        "ci95_high": _json(high),
        "values": [_json(v) for v in values],
    }


def _json(x) -> float | None:
    return None if x is None or x != x else float(x)


def _cellwise(matrices: list[list[list[float]]]) -> dict[str, Any]:
    """Mean and 95% interval of every cell of equally shaped matrices."""
    import numpy as np

    A = np.array(matrices, dtype=float)  # (seeds, rows, cols)
    out: dict[str, list] = {"mean": [], "ci95_low": [], "ci95_high": []}
    for i in range(A.shape[1]):
        cells = [_interval(list(A[:, i, j])) for j in range(A.shape[2])]
        for key in out:
            out[key].append([c[key] for c in cells])
    return out


def summarize(results: list[dict], seeds: list[int]) -> dict[str, Any]:
    """The summary of the per-seed results.json dicts (complete runs only)."""
    names: list[str] = []
    for r in results:
        names += [k for k in r.get("metrics", {}) if k not in names]
    notes: dict[str, dict[str, int]] = {}
    for r in results:
        for name, note in (r.get("metric_notes") or {}).items():
            notes.setdefault(name, {})
            notes[name][note] = notes[name].get(note, 0) + 1
    first = results[0] if results else {}
    return {
        "name": first.get("name"),
        "seeds": seeds,
        "runs": len(results),
        "tasks": first.get("tasks", []),
        "metrics": {n: _interval([r["metrics"].get(n) for r in results]) for n in names},
        "metric_notes": {
            n: "; ".join(f"{note} ({k} of {len(results)} seeds)" for note, k in d.items())
            for n, d in notes.items()
        },
        "accuracy_matrix": _cellwise([r["accuracy_matrix"] for r in results]) if results else {},
        "initial_accuracy": _cellwise([[r["initial_accuracy"]] for r in results])
        if results
        else {},
        "baselines": first.get("baselines"),
    }


def run_seeds(
    spec,
    seeds: list[int] | None = None,
    out: str | Path | None = None,
    workers: int = 1,
    progress: bool = False,
    report: bool = True,
) -> SeedRuns:
    """Run `spec` once per seed (default: spec.seeds) and write the summary (SeedRuns)."""
    from forgetlab.fileio import atomic_write
    from forgetlab.runs.store import default_run_dir
    from forgetlab.spec import _finite
    from forgetlab.sweeps import run_sweep
    from forgetlab.sweeps.spec import BackendSpec, SweepSpec

    seeds = list(seeds) if seeds is not None else seeds_of(spec)
    base = _finite(spec.model_dump(mode="json", exclude_none=True))
    base.pop("seeds", None)
    sweep_spec = SweepSpec(
        name=spec.name, base=base, seeds=seeds, backend=BackendSpec(workers=workers)
    )
    root = Path(out) if out is not None else default_run_dir(spec.name)
    sweep = run_sweep(sweep_spec, out=root, progress=progress, report=False)  # its own below
    cells = sweep.cells
    run_dirs = [Path(p) for p in cells["run_dir"]]
    done = cells["status"] == "done"
    results = [json.loads((Path(p) / "results.json").read_text()) for p in cells["run_dir"][done]]
    summary = summarize(results, [int(s) for s in cells["seed"][done]])
    summary["run_dirs"] = [str(p) for p in cells["run_dir"][done]]
    atomic_write(root / SUMMARY, json.dumps(summary, indent=2) + "\n")
    if report:
        from forgetlab.reports.seeds_report import write_seeds_report

        write_seeds_report(root)
    return SeedRuns(root, seeds, run_dirs, summary)
