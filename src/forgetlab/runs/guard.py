"""What protects the user's files around a run directory.

- A run directory carries a marker file (`.forgetlab-run`; sweeps `.forgetlab-sweep`; see
  `forgetlab.output_paths`, which also recognises runs written before the marker existed):
  only a run directory is ever replaced (`--overwrite`), and no new run is created inside one.
- `--overwrite` never deletes first: the old directory is set aside (renamed to a hidden
  sibling), the new run starts in its place, and the old one is removed only once the new
  run has finished a stage; if the new run fails before that, the old one is put back.
- The current directory, its ancestors, and any folder holding the spec or its data files
  are never replaced.
- A run directory is locked (`fcntl.flock` on `.forgetlab.lock`) for the life of a run or a
  resume: a second process gets a one-line error instead of writing into the same files.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path

from forgetlab.errors import RunDirError
from forgetlab.output_paths import RUN_MARKER, SWEEP_MARKER, is_run_dir, is_sweep_dir  # noqa: F401

LOCK = ".forgetlab.lock"


def marked(path: Path, marker: str = RUN_MARKER) -> bool:
    """Whether `path` is a forgetlab run (or, with SWEEP_MARKER, sweep) directory."""
    return is_run_dir(Path(path)) if marker == RUN_MARKER else is_sweep_dir(Path(path))


def enclosing_run(path: Path) -> Path | None:
    """The run directory `path` lies inside (not counting `path` itself), if any."""
    for parent in Path(path).resolve().parents:
        if is_run_dir(parent):
            return parent
    return None


def _is_within(inner: Path, outer: Path) -> bool:
    try:
        inner.relative_to(outer)
        return True
    except ValueError:
        return False


def check_replaceable(root: Path, protect: list[Path], marker: str) -> None:
    """RunDirError unless the existing directory `root` may be replaced by a new run."""
    target = root.resolve()
    cwd = Path.cwd().resolve()
    if _is_within(cwd, target):
        raise RunDirError(
            f"refusing to overwrite {str(root)!r}: it is (or contains) the current directory"
        )
    for p in protect:
        if _is_within(Path(p).resolve(), target):
            raise RunDirError(f"refusing to overwrite {str(root)!r}: it holds {str(p)!r}")
    if not marked(target, marker):
        raise RunDirError(
            f"refusing to overwrite {str(root)!r}: it is not a forgetlab "
            f"{'run' if marker == RUN_MARKER else 'sweep'} directory (no {marker}); "
            "remove it yourself or choose another --out"
        )


def check_new_location(root: Path) -> None:
    """RunDirError when `root` lies inside another run directory (its resume/, checkpoints)."""
    inside = enclosing_run(root)
    if inside is not None:
        raise RunDirError(
            f"output {str(root)!r} is inside the run directory {str(inside)!r}; choose a "
            "location outside it"
        )


def set_aside(root: Path) -> Path:
    """Rename `root` to a hidden sibling (same filesystem, atomic) and return the new path."""
    aside = root.with_name(f".{root.name}.replaced-{secrets.token_hex(3)}")
    os.replace(root, aside)
    return aside


def put_back(aside: Path, root: Path) -> None:
    """Undo `set_aside`: the new run's partial directory goes, the old one comes back."""
    if root.exists():
        shutil.rmtree(root)
    os.replace(aside, root)


def write_marker(root: Path, marker: str, info: dict) -> None:
    from forgetlab.fileio import atomic_write

    atomic_write(root / marker, json.dumps(info) + "\n")


class DirLock:
    """An exclusive, non-blocking lock on a run (or sweep) directory, held until `release`
    or the process ends (the kernel drops flock locks of a dead process)."""

    def __init__(self, root: Path, what: str = "run") -> None:
        import fcntl

        self.path = Path(root) / LOCK
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self.fd)
            self.fd = None
            owner = _read_pid(self.path)
            by = f" (pid {owner})" if owner else ""
            raise RunDirError(
                f"{what} directory {str(root)!r} is in use by another forgetlab process{by}; "
                "wait for it to finish or choose another --out"
            ) from None
        os.ftruncate(self.fd, 0)
        os.write(self.fd, f"{os.getpid()}\n".encode())

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor releases the flock
            self.fd = None


def _read_pid(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except OSError:
        return None
