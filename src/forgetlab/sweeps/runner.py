"""Run a sweep: validate every cell, then run the unfinished ones on a backend.

sweep = run_sweep(load_sweep_spec("sweep.toml", backend={"workers": 2}), out="runs/sweeps/x")
sweep.grouped   # forgetlab.load_sweep's tables, also written as summary.csv / grouped.csv

Re-running into the same directory skips cells whose run finished (results.json complete,
same spec) and reruns the others (failed, killed or never started) with overwrite.
"""

from __future__ import annotations

import logging
from collections import deque
from pathlib import Path

from forgetlab.errors import ForgetlabError, RunDirError, SpecError
from forgetlab.fileio import atomic_write
from forgetlab.progress import progress_bar
from forgetlab.runs import guard
from forgetlab.spec import read_toml, tomllib
from forgetlab.sweeps.aggregate import Sweep, load_sweep
from forgetlab.sweeps.index import (
    CellRecord,
    SweepIndex,
    cell_dir,
    read_index,
    run_complete,
    write_index,
)
from forgetlab.sweeps.kinds import cell_kinds
from forgetlab.sweeps.plan import SweepPlan, plan_sweep
from forgetlab.sweeps.spec import SweepSpec, dump_sweep

SWEEP_FILE = "sweep.toml"
# Write report.html at the end of every sweep unless `run_sweep(report=False)`; the test
# suite turns the default off (tests/conftest.py), as for runs.
REPORT_BY_DEFAULT = True
log = logging.getLogger("forgetlab.sweeps")


def default_sweep_dir(name: str, root: Path = Path("runs/sweeps")) -> Path:
    """Stable (no timestamp), so that running the same sweep again resumes it."""
    return root / name


def _as_stored(new: dict, old: dict) -> dict:
    """The resolved sweep without the fields a directory written by an older forgetlab lacks
    and this sweep leaves at their defaults (e.g. `seed_fields = []`): such a directory
    still holds the same sweep."""
    defaults = {
        name: f.get_default(call_default_factory=True)
        for name, f in SweepSpec.model_fields.items()
        if not f.is_required()
    }
    return {k: v for k, v in new.items() if k in old or k not in defaults or v != defaults[k]}


def prepare_dir(root: Path, spec: SweepSpec) -> None:
    """Create the sweep directory, or check that an existing one holds this same sweep."""
    stored = root / SWEEP_FILE
    if stored.is_file():
        try:
            old = read_toml(stored, what="sweep file")
        except SpecError as e:
            raise RunDirError(
                f"sweep directory {str(root)!r} cannot be resumed: {e}; choose another --out"
            ) from None
        old.pop("backend", None)
        if old != _as_stored(tomllib.loads(dump_sweep(spec, with_backend=False)), old):
            raise RunDirError(
                f"sweep directory {str(root)!r} holds a different sweep (base, axes, seeds or "
                "orders changed); choose another --out"
            )
    elif root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise RunDirError(
            f"{str(root)!r} exists and is not a sweep directory; choose another --out"
        )
    guard.check_new_location(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        guard.write_marker(root, guard.SWEEP_MARKER, {"name": spec.name})
        atomic_write(stored, dump_sweep(spec))
    except OSError as e:
        raise RunDirError(f"cannot write to sweep directory {str(root)!r}: {e.strerror}") from None


def _backend(spec: SweepSpec):
    if spec.backend.kind == "ray":
        from forgetlab.sweeps.ray_backend import RayBackend

        return RayBackend(spec.backend)
    from forgetlab.sweeps.local import LocalBackend

    return LocalBackend(spec.backend.workers)


def execute(
    plan: SweepPlan,
    out: str | Path | None = None,
    progress: bool = False,
    report: bool | None = None,
) -> Sweep:
    """Run a validated plan's unfinished cells; write cells.json as they finish, then the
    tables and (unless `report` is False) report.html."""
    spec = plan.spec
    root = Path(out) if out is not None else default_sweep_dir(spec.name)
    prepare_dir(root, spec)
    lock = guard.DirLock(root, "sweep")  # one process per sweep directory at a time
    try:
        return _execute(plan, root, progress, report)
    finally:
        lock.release()


def _execute(plan: SweepPlan, root: Path, progress: bool, report: bool | None) -> Sweep:
    spec = plan.spec
    kind = cell_kinds.get(spec.kind)
    texts = {c.id: kind.dump(plan.specs[c.id]) for c in plan.cells}

    def normalise(stored: str) -> str:  # a cell run by an older forgetlab, as this one writes it
        return kind.dump(kind.validate(tomllib.loads(stored)))

    records = []
    for c in plan.cells:
        rel = cell_dir(Path("."), c.id).as_posix()
        done = run_complete(root / rel, texts[c.id], normalise)
        records.append(
            CellRecord(
                cell=c.id,
                axes=c.axes,
                seed=c.seed,
                order=c.order,
                run_dir=rel,
                status="done" if done else "pending",
            )
        )
    index = SweepIndex(name=spec.name, axes=list(spec.axes), cells=records)
    old = _previous_runs(root)
    for rec in index.cells:
        if rec.status == "done" and rec.cell in old:
            rec.seconds, rec.worker, rec.threads = old[rec.cell]
    write_index(root, index)
    todo = deque(r for r in index.cells if r.status != "done")
    if todo:
        _run_cells(spec, root, index, todo, texts, progress)
    sweep = load_sweep(root)
    sweep.write_tables()
    if report if report is not None else REPORT_BY_DEFAULT:
        _write_report(root)
    return sweep


def _write_report(root: Path) -> None:
    """SWEEP_DIR/report.html, titled by the sweep's name; a sweep whose cells all failed (or
    a report that cannot be drawn) keeps its tables and says why in one warning."""
    from forgetlab.reports import write_sweep_report

    try:
        write_sweep_report(root)
    except ForgetlabError as e:
        log.warning("no report.html for sweep %s: %s", root, e)
    except Exception as e:  # the cells and tables are done; `forgetlab report DIR` retries
        log.warning("no report.html for sweep %s: %s: %s", root, type(e).__name__, e)


def _run_cells(spec, root: Path, index: SweepIndex, todo: deque, texts: dict, progress: bool):
    """Hand the cells to the backend (at most `slots` at once); record each as it ends."""
    counts = {"done": len(index.cells) - len(todo), "failed": 0}
    with progress_bar(progress) as bar, _backend(spec) as backend:
        bar_id = bar.add_task(
            f"sweep {spec.name}",
            total=len(index.cells),
            completed=counts["done"],
            info=_info(counts),
        )
        inflight: dict = {}
        while todo or inflight:
            while todo and len(inflight) < backend.slots:
                rec = todo.popleft()
                job = {
                    "cell": rec.cell,
                    "kind": spec.kind,
                    "spec": texts[rec.cell],
                    "run_dir": str((root / rec.run_dir).resolve()),
                    "log": str((root / "logs" / f"{rec.cell}.log").resolve()),
                }
                inflight[backend.submit(job)] = rec
                rec.status = "running"
            write_index(root, index)
            for handle, outcome in backend.wait(list(inflight)):
                rec = inflight.pop(handle)
                rec.status, rec.error = outcome["status"], outcome.get("error")
                rec.seconds = outcome.get("seconds")
                rec.worker, rec.threads = outcome.get("worker"), outcome.get("threads")
                counts[rec.status] += 1
                bar.update(bar_id, advance=1, info=_info(counts))
            write_index(root, index)


def _info(counts: dict) -> str:
    return f"done {counts['done']}  failed {counts['failed']}"


def _previous_runs(root: Path) -> dict[str, tuple]:
    """(seconds, worker, threads) of each cell in an existing index."""
    try:
        return {c.cell: (c.seconds, c.worker, c.threads) for c in read_index(root).cells}
    except RunDirError:
        return {}


def run_sweep(
    spec: SweepSpec,
    out: str | Path | None = None,
    progress: bool = False,
    report: bool | None = None,
) -> Sweep:
    """Validate every cell (SpecError naming the cell before anything runs), then execute;
    report.html at the end unless `report` is False."""
    return execute(plan_sweep(spec), out=out, progress=progress, report=report)
