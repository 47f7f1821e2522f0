"""The run directory: spec, results, scores and checkpoints, every write atomic.

DIR/.forgetlab-run             marker: this is a run directory (see `runs.guard`)
DIR/.forgetlab.lock            held (flock) by the process running or resuming the run
DIR/spec.toml                  the resolved spec, written before training starts
DIR/results.json               ResultsFile, rewritten after every stage
DIR/scores.csv                 long form: run,strategy,method,model,seed,stage,task,metric,
                               value,layer (the first five name the run on every row)
DIR/checkpoints/<stage>/       trainable.safetensors + manifest.json (+ adapter/ for peft)
"""

from __future__ import annotations

import csv
import io
import os
import secrets
import shutil
from datetime import datetime, timezone
from pathlib import Path

from forgetlab.errors import RunDirError
from forgetlab.fileio import atomic_write
from forgetlab.runs import guard
from forgetlab.runs.checkpoint import save_trainable


def default_run_dir(name: str, root: Path = Path("runs")) -> Path:
    """runs/NAME/<timestamp>-<4 hex digits>: two runs started in the same second differ."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return root / name / f"{stamp}-{secrets.token_hex(2)}"


class RunStore:
    """Owns one run directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def create(self, overwrite: bool, protect: tuple[Path, ...] = ()) -> None:
        """Make the directory (marked and locked); refuse an existing non-empty one unless
        `overwrite`, and then only a forgetlab run that holds none of `protect` (the spec and
        data files), not the current directory: it is set aside, not deleted, until the new
        run has finished a stage (`commit`), and put back if it fails before (`rollback`)."""
        root = self.root
        self.aside: Path | None = None
        if root.exists() and not root.is_dir():
            raise RunDirError(f"output path {str(root)!r} exists and is not a directory")
        guard.check_new_location(root)
        if root.is_dir() and any(root.iterdir()):
            if not overwrite:
                raise RunDirError(
                    f"run directory {str(root)!r} already exists; "
                    "pass --overwrite to replace it or choose another --out"
                )
            guard.check_replaceable(root, list(protect), guard.RUN_MARKER)
            old_lock = guard.DirLock(root)  # refuses to replace a run that is still running
            self.aside = guard.set_aside(root)
            old_lock.release()
        try:
            root.mkdir(parents=True, exist_ok=True)
            guard.write_marker(
                root,
                guard.RUN_MARKER,
                {"created": datetime.now(timezone.utc).isoformat(timespec="seconds")},
            )
        except OSError as e:
            if self.aside is not None:
                guard.put_back(self.aside, root)
            raise RunDirError(
                f"cannot write to run directory {str(root)!r}: {e.strerror}"
            ) from None
        self.lock()

    def lock(self) -> None:
        """Hold the directory's lock until `release` (or the process ends)."""
        self._lock = guard.DirLock(self.root)

    def release(self) -> None:
        lock = getattr(self, "_lock", None)
        if lock is not None:
            lock.release()

    def commit(self) -> None:
        """The new run has something to keep: drop the directory it replaced."""
        aside = getattr(self, "aside", None)
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)
            self.aside = None

    def rollback(self) -> None:
        """The new run failed before finishing a stage: put the replaced directory back."""
        aside = getattr(self, "aside", None)
        if aside is not None:
            self.release()
            guard.put_back(aside, self.root)
            self.aside = None

    def write_spec(self, toml_text: str) -> None:
        atomic_write(self.root / "spec.toml", toml_text)

    def write_results(self, results) -> None:
        atomic_write(self.root / "results.json", results.model_dump_json(indent=2) + "\n")

    def write_scores(self, rows: list[tuple], run: tuple = ()) -> None:
        """`rows`: (stage, task, metric, value[, layer]); `run`: the RUN_COLUMNS values
        written before each row (none: the file has the score columns only)."""
        from forgetlab.runs.scores import RUN_COLUMNS, SCORE_COLUMNS

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow([*(RUN_COLUMNS if run else ()), *SCORE_COLUMNS])
        w.writerows([*run, *row, *[""] * (5 - len(row))] for row in rows)
        atomic_write(self.root / "scores.csv", buf.getvalue())

    def save_checkpoint(self, learner, tag: str, manifest: dict, names=None) -> Path:
        """The learner's trained weights (`names`; default: those with requires_grad) in
        checkpoints/<tag>/, replaced atomically."""
        final = self.root / "checkpoints" / tag
        tmp = final.with_name(f".{tag}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        save_trainable(learner, tmp, manifest, names)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        return final


class NullStore(RunStore):
    """The run directory as seen by a non-main process of a distributed run: it reads
    (resume state) but never writes; the main process owns every file."""

    def create(self, overwrite: bool, protect: tuple[Path, ...] = ()) -> None:
        self.aside = None

    def lock(self) -> None:
        pass

    def commit(self) -> None:
        pass

    def rollback(self) -> None:
        pass

    def write_spec(self, toml_text: str) -> None:
        pass

    def write_results(self, results) -> None:
        pass

    def write_scores(self, rows: list[tuple], run: tuple = ()) -> None:
        pass

    def save_checkpoint(self, learner, tag: str, manifest: dict, names=None) -> Path:
        return self.root / "checkpoints" / tag
