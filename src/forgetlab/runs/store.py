"""The run directory: spec, results, scores and checkpoints, every write atomic.

DIR/spec.toml                  the resolved spec, written before training starts
DIR/results.json               RunResults, rewritten after every stage
DIR/scores.csv                 long form: stage,task,metric,value,layer
DIR/checkpoints/<stage>/       trainable.safetensors + manifest.json (+ adapter/ for peft)
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from datetime import datetime
from pathlib import Path

from forgetlab.errors import RunDirError
from forgetlab.fileio import atomic_write
from forgetlab.runs.checkpoint import save_trainable


def default_run_dir(name: str, root: Path = Path("runs")) -> Path:
    return root / name / datetime.now().strftime("%Y%m%d-%H%M%S")


class RunStore:
    """Owns one run directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def create(self, overwrite: bool) -> None:
        """Make the directory; refuse an existing non-empty one unless `overwrite`."""
        if self.root.exists() and not self.root.is_dir():
            raise RunDirError(f"output path {str(self.root)!r} exists and is not a directory")
        if self.root.is_dir() and any(self.root.iterdir()):
            if not overwrite:
                raise RunDirError(
                    f"run directory {str(self.root)!r} already exists; "
                    "pass --overwrite to replace it or choose another --out"
                )
            shutil.rmtree(self.root)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as e:
            raise RunDirError(
                f"cannot write to run directory {str(self.root)!r}: {e.strerror}"
            ) from None

    def write_spec(self, toml_text: str) -> None:
        atomic_write(self.root / "spec.toml", toml_text)

    def write_results(self, results) -> None:
        atomic_write(self.root / "results.json", results.model_dump_json(indent=2) + "\n")

    def write_scores(self, rows: list[tuple]) -> None:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["stage", "task", "metric", "value", "layer"])
        w.writerows([*row, *[""] * (5 - len(row))] for row in rows)
        atomic_write(self.root / "scores.csv", buf.getvalue())

    def save_checkpoint(self, learner, tag: str, manifest: dict) -> Path:
        """The learner's trainable weights in checkpoints/<tag>/, replaced atomically."""
        final = self.root / "checkpoints" / tag
        tmp = final.with_name(f".{tag}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        save_trainable(learner, tmp, manifest)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        return final
