"""What a sweep's cells are: experiment runs (the default) or pretraining runs.

kind = cell_kinds.get("pretrain")      # from the sweep file's `kind = "pretrain"`
spec = kind.validate(cell.data)        # SpecError, one line
text = kind.dump(spec)                 # the cell's spec.toml
kind.check(spec)                       # names and data, without training
kind.run(text, run_dir)                # in the worker; True when it resumed a killed run

Every cell is an ordinary run directory of its kind: `forgetlab run`'s (results.json,
scores.csv, ...) or `forgetlab pretrain`'s (results.json, checkpoints/). Both write
results.json with `status` and `metrics`, which the sweep tables read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forgetlab.registry import Registry


@dataclass(frozen=True)
class CellKind:
    validate: Callable[[dict], Any]
    dump: Callable[[Any], str]
    check: Callable[[Any], Any]
    run: Callable[[str, Path], bool]


cell_kinds: Registry[CellKind] = Registry("sweep kind")


def _validate_experiment(data: dict):
    from forgetlab.spec import spec_from_dict

    return spec_from_dict(data)


def _dump_experiment(spec) -> str:
    from forgetlab.spec import dump_spec

    return dump_spec(spec)


def _check_experiment(spec) -> None:
    from forgetlab.validate import validate

    validate(spec)


def _run_experiment(text: str, run_dir: Path) -> bool:
    """A killed run of this very spec goes on from its last stage; else a fresh run."""
    from forgetlab.experiment import resume, run
    from forgetlab.spec import tomllib

    spec = _validate_experiment(tomllib.loads(text))
    killed = (
        (run_dir / "resume" / "LATEST").is_file()
        and (run_dir / "spec.toml").is_file()
        and (run_dir / "spec.toml").read_text() == _dump_experiment(spec)
    )
    if killed:
        resume(run_dir, progress=False, narrate=True)  # plain lines: the cell log
        return True
    clear_failed_attempt(run_dir)
    run(spec, out=run_dir, overwrite=True, progress=False, narrate=True)
    return False


def clear_failed_attempt(run_dir: Path) -> None:
    """A cell that failed before its run started left only traceback.txt: the sweep owns
    that folder, and the retry starts it afresh (a real run folder is replaced by `run`)."""
    if run_dir.is_dir() and {p.name for p in run_dir.iterdir()} <= {"traceback.txt"}:
        (run_dir / "traceback.txt").unlink(missing_ok=True)


def _validate_pretrain(data: dict):
    from forgetlab.pretrain import pretrain_spec_from_dict

    return pretrain_spec_from_dict(data)


def _dump_pretrain(spec) -> str:
    from forgetlab.pretrain import dump_pretrain_spec

    return dump_pretrain_spec(spec)


def _check_pretrain(spec) -> None:
    from forgetlab.pretrain.plan import check_pretrain

    check_pretrain(spec)


def _run_pretrain(text: str, run_dir: Path) -> bool:
    """A killed pretraining of this very spec goes on from its resume state; else fresh.
    Progress lines (tokens/s, ETA, checkpoints) go to the cell's log."""
    from forgetlab.pretrain import pretrain, resume_pretrain
    from forgetlab.pretrain.state import has_resume
    from forgetlab.spec import tomllib

    spec = _validate_pretrain(tomllib.loads(text))
    log = lambda line: print(line, flush=True)  # noqa: E731
    same = (run_dir / "spec.toml").is_file() and (run_dir / "spec.toml").read_text() == text
    if same and has_resume(run_dir):
        resume_pretrain(run_dir, log=log)
        return True
    pretrain(spec, out=run_dir, overwrite=True, log=log)
    return False


cell_kinds.register("experiment", help="forgetlab run cells (an experiment spec)")(
    CellKind(_validate_experiment, _dump_experiment, _check_experiment, _run_experiment)
)
cell_kinds.register("pretrain", help="forgetlab pretrain cells (a pretraining spec)")(
    CellKind(_validate_pretrain, _dump_pretrain, _check_pretrain, _run_pretrain)
)
