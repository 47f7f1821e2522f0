"""Where forgetlab may write: output paths are checked before anything is written, and never
replace the files of a run or sweep directory that the command does not own.

check_report_file(Path("cmp.html"), sources=[run_a, run_b])   # report / compare --out
check_output_dir(Path("probes"), home=run / "probing")          # probe --out
enclosing_run(Path("runs/x/20261121-101010/figures"))         # -> runs/x/20261121-101010

A run directory holds `spec.toml` plus `results.json`, `resume/` or `checkpoints/` (or the
marker file RUN_MARKER); a sweep directory holds `cells.json`, or `sweep.toml` with `cells/`
(or SWEEP_MARKER). Every check raises RunDirError with one line naming the path.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from forgetlab.errors import RunDirError

RUN_MARKER = ".forgetlab-run"  # written by the run store once it owns a directory
SWEEP_MARKER = ".forgetlab-sweep"
REPORT_SUFFIXES = (".html", ".htm")


def is_run_dir(path: Path) -> bool:
    path = Path(path)
    if (path / RUN_MARKER).is_file():
        return True
    return (path / "spec.toml").is_file() and (
        (path / "results.json").is_file()
        or (path / "resume").is_dir()
        or (path / "checkpoints").is_dir()
    )


def is_sweep_dir(path: Path) -> bool:
    path = Path(path)
    return (
        (path / SWEEP_MARKER).is_file()
        or (path / "cells.json").is_file()
        or ((path / "sweep.toml").is_file() and (path / "cells").is_dir())
    )


def _absolute(path: Path) -> Path:
    return Path(os.path.abspath(Path(path).expanduser()))  # '..' folded, links kept


def enclosing_run(path: Path) -> Path | None:
    """The nearest run or sweep directory at or above `path` (which need not exist yet)."""
    for folder in (p := _absolute(path), *p.parents):
        if folder.is_dir() and (is_run_dir(folder) or is_sweep_dir(folder)):
            return folder
    return None


def within(path: Path, folder: Path) -> bool:
    """`path` is `folder` or below it (both resolved, so links and '..' cannot hide it)."""
    p, f = Path(path).resolve(), Path(folder).resolve()
    return p == f or f in p.parents


def check_writable(folder: Path, what: str = "--out", shown: Path | None = None) -> None:
    """The nearest existing folder at or above `folder` is a directory we can write into;
    errors name `shown` (default: `folder`)."""
    here = _absolute(folder)
    name = repr(str(shown if shown is not None else folder))
    existing = next(p for p in (here, *here.parents) if p.exists())
    if not existing.is_dir():
        raise RunDirError(f"cannot write to {what} {name}: {str(existing)!r} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise RunDirError(f"cannot write to {what} {name}: {str(existing)!r} is not writable")


def _refuse_foreign_run(
    path: Path, what: str, owners: Iterable[Path] = (), home: Path | None = None
) -> None:
    """RunDirError if `path` is in a run or sweep directory, unless that directory is one of
    `owners` or `path` lies below `home`."""
    run = enclosing_run(path)
    if run is None or (home is not None and within(path, home)):
        return
    if any(run.resolve() == Path(o).resolve() for o in owners):
        return
    kind = "sweep" if is_sweep_dir(run) else "run"
    where = "is the" if _absolute(path) == run else "is inside the"
    raise RunDirError(
        f"{what} {str(path)!r} {where} {kind} directory {str(run)!r}, whose files it could "
        "replace; write it elsewhere"
    )


def check_report_file(out: Path, sources: Iterable[Path] = (), what: str = "--out") -> Path:
    """An HTML report path (its PNGs go to OUT_DIR/figures/): not a directory, not a run's own
    file, and not inside a run or sweep directory other than `sources` (the run whose own
    report it is)."""
    out = Path(out)
    if out.is_dir():
        raise RunDirError(
            f"{what} {str(out)!r} is a directory; a report is one HTML file "
            f"(e.g. {str(out / 'report.html')!r})"
        )
    if out.suffix.lower() not in REPORT_SUFFIXES:
        raise RunDirError(f"{what} {str(out)!r}: a report is an HTML file; end the name in .html")
    if out.exists() and not out.is_file():
        raise RunDirError(f"{what} {str(out)!r} exists and is not a regular file")
    figures = out.parent / "figures"
    if figures.exists() and not figures.is_dir():
        raise RunDirError(
            f"{what} {str(out)!r}: its figures go to {str(figures)!r}, which is not a directory"
        )
    _refuse_foreign_run(out, what, owners=sources)
    check_writable(out.parent, what, shown=out)
    return out


def check_output_dir(out: Path, home: Path | None = None, what: str = "--out") -> Path:
    """A directory to write results into: not an existing file, and not a run or sweep
    directory nor inside one, unless it lies below `home` (the folder the command owns, e.g.
    RUN/probing for `forgetlab probe RUN`)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise RunDirError(f"{what} {str(out)!r} exists and is not a directory")
    _refuse_foreign_run(out, what, home=home)
    check_writable(out, what)
    return out
