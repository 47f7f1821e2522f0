"""forgetlab: fine-tune language models on sequences of tasks; measure what they forget.

import forgetlab
spec = forgetlab.load_spec("experiments/wordnet/seq.toml", overrides=["train.lr=3e-5"])
result = forgetlab.run(spec, out="runs/seq")
result.accuracy_matrix, result.metrics, result.tasks
df = forgetlab.load_runs(["runs/seq", "runs/ewc"])   # every scores.csv row, one DataFrame
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import Any  # noqa: E402

from forgetlab.errors import ForgetlabError  # noqa: E402


def __getattr__(name: str) -> Any:
    """The spec API, imported on first use (it builds the registries); `forgetlab.pretrain`,
    the package, which is also callable: `forgetlab.pretrain(spec, out=...)` pretrains."""
    if name in ("ExperimentSpec", "dump_spec", "load_spec"):
        from forgetlab import spec

        return getattr(spec, name)
    if name == "pretrain":
        import forgetlab.pretrain as package

        return package
    raise AttributeError(f"module 'forgetlab' has no attribute {name!r}")


def run(spec, out=None, overwrite: bool = False, progress: bool = False, report=None, narrate=None):
    """Run an experiment; see `forgetlab.experiment.run` (`narrate`, default `progress`: a
    plain line per stage). A spec with `seeds` runs once per seed and returns `run_seeds`'s
    SeedRuns (per-seed runs and the summary)."""
    if getattr(spec, "seeds", None):
        return run_seeds(spec, out=out, progress=progress, report=report is not False)
    from forgetlab.experiment import run as _run

    return _run(
        spec, out=out, overwrite=overwrite, progress=progress, report=report, narrate=narrate
    )


def run_seeds(spec, seeds=None, out=None, workers: int = 1, progress: bool = False, report=True):
    """One run per seed (default: spec.seeds) plus the mean and 95% interval of every metric;
    see `forgetlab.seeds.run_seeds`."""
    from forgetlab.seeds import run_seeds as _run_seeds

    return _run_seeds(spec, seeds=seeds, out=out, workers=workers, progress=progress, report=report)


def resume(run_dir, progress: bool = False, report=None):
    """Go on with a killed run from its last finished stage; see `forgetlab.experiment.resume`."""
    from forgetlab.experiment import resume as _resume

    return _resume(run_dir, progress=progress, report=report)


def infer(model, suspect=None, validation=None, **kwargs):
    """Dataset inference: was `model` trained on `suspect`? See `forgetlab.inference.api.infer`."""
    from forgetlab.inference.api import infer as _infer

    return _infer(model, suspect, validation, **kwargs)


def load_run(run_dir):
    """A finished run directory as the `Run` that `run` returns (results, tasks, matrix,
    metrics, scores); see `forgetlab.runs.loading.load_run`."""
    from forgetlab.runs.loading import load_run as _load_run

    return _load_run(run_dir)


def load_runs(run_dirs):
    """The scores.csv rows of several runs as one pandas DataFrame (each row names its run,
    strategy, method, model and seed); see `forgetlab.runs.loading.load_runs`."""
    from forgetlab.runs.loading import load_runs as _load_runs

    return _load_runs(run_dirs)


def load_sweep(path):
    """A sweep directory's tables (cells, grouped, order_sensitivity); see `forgetlab.sweeps`."""
    from forgetlab.sweeps.aggregate import load_sweep as _load_sweep

    return _load_sweep(path)


__all__ = [
    "ExperimentSpec",
    "ForgetlabError",
    "dump_spec",
    "infer",
    "load_run",
    "load_runs",
    "load_spec",
    "load_sweep",
    "pretrain",
    "resume",
    "run",
    "run_seeds",
    "__version__",
]
