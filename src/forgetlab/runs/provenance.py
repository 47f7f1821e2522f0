"""Where a run came from: library versions, git commit, device."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

from forgetlab.runs.schema import GitInfo

PACKAGES = ("forgetlab", "torch", "transformers", "peft", "datasets", "tokenizers", "numpy")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def _git(*args: str) -> str | None:
    try:
        res = subprocess.run(
            ["git", *args],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return res.stdout.strip() if res.returncode == 0 else None


def git_info() -> GitInfo:
    """Commit, dirty flag and branch of the forgetlab checkout (None outside a git tree)."""
    commit = _git("rev-parse", "HEAD")
    if commit is None:
        return GitInfo(commit=None, dirty=None, branch=None)
    status = _git("status", "--porcelain", "--untracked-files=no")
    return GitInfo(
        commit=commit, dirty=bool(status), branch=_git("rev-parse", "--abbrev-ref", "HEAD")
    )
