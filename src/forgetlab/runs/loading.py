"""Read finished runs back: one as a `Run`, several as one long-form pandas DataFrame.

run = forgetlab.load_run("runs/seq")                   # Run: results, tasks, matrix, metrics
df = forgetlab.load_runs(["runs/seq", "runs/ewc"])     # every scores.csv row of both runs
df[df.metric == "average_accuracy"].groupby("strategy").value.mean()

Each scores.csv row names its run (`run`: the run folder's name), `strategy`, `method`,
`model` and `seed`, so the files of several runs concatenate; runs written before those
columns existed get them from their results.json.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from forgetlab.errors import RunDirError
from forgetlab.runs.result import Run
from forgetlab.runs.schema import ResultsFile
from forgetlab.runs.scores import RUN_COLUMNS, run_columns


def load_run(run_dir: str | Path) -> Run:
    """A run directory's results.json as a `Run` (the object `forgetlab.run` returns);
    RunDirError naming the file when it is missing or not a run's results."""
    root = Path(run_dir)
    path = root / "results.json"
    if not path.is_file():
        raise RunDirError(f"{str(path)!r} not found: not a forgetlab run directory")
    try:
        results = ResultsFile.model_validate(json.loads(path.read_text()))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise RunDirError(f"{str(path)!r} is not readable JSON: {e}") from None
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        where = ".".join(str(x) for x in first["loc"]) or "results"
        raise RunDirError(
            f"{str(path)!r} is not a run's results ({where}: {first['msg']})"
        ) from None
    return Run(root, results)


def read_scores(run_dir: str | Path):
    """DIR/scores.csv as a DataFrame with the run columns first (filled from results.json
    for files written without them); RunDirError when the run has no scores.csv (a run that
    did not finish)."""
    import pandas as pd

    root = Path(run_dir)
    path = root / "scores.csv"
    if not path.is_file():
        raise RunDirError(f"{str(path)!r} not found: the run has not finished")
    frame = pd.read_csv(path, dtype={"task": str, "run": str, "model": str})
    frame["task"] = frame["task"].fillna("")
    missing = [c for c in RUN_COLUMNS if c not in frame.columns]
    if missing:
        ids = run_columns(load_run(root).results, root)
        for k, column in enumerate(RUN_COLUMNS):
            if column in missing:
                frame.insert(k, column, ids[k])
    return frame


def load_runs(run_dirs) -> pd.DataFrame:  # noqa: F821
    """The scores.csv rows of several runs, one DataFrame (columns run, strategy, method,
    model, seed, stage, task, metric, value, layer) plus `run_dir`, the directory as given."""
    import pandas as pd

    dirs = [Path(d) for d in ([run_dirs] if isinstance(run_dirs, (str, Path)) else run_dirs)]
    if not dirs:
        raise RunDirError("load_runs needs at least one run directory")
    frames = []
    for d in dirs:
        frame = read_scores(d)
        frame["run_dir"] = str(d)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
