"""Helpers of the sweep tests: the CLI in-process, a toy-files base spec, run timestamps."""

from __future__ import annotations

from pathlib import Path

import tomli_w

from tests.conftest import cli  # noqa: F401


def toy_base(train: Path, test: Path) -> dict:
    return {
        "model": {"name": "tiny-bert"},
        "stream": {"kind": "files", "train": str(train), "test": str(test)},
        "train": {"epochs": 1, "lr": 2e-3, "batch_size": 16, "checkpoint": "none"},
    }


def write(path: Path, data: dict) -> Path:
    path.write_text(tomli_w.dumps(data))
    return path


def mtimes(root: Path) -> dict[str, int]:
    return {p.parent.name: p.stat().st_mtime_ns for p in root.glob("cells/*/results.json")}
