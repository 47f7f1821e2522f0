"""Run one cell in a worker (a pool process or a Ray task): an ordinary `forgetlab.run`, or
`forgetlab pretrain` for a pretraining sweep (`kind` in the job; see sweeps.kinds).

outcome = run_cell({"cell": "c000", "spec": dump_spec(spec), "run_dir": "/abs/cells/c000",
                    "log": "/abs/logs/c000.log", "kind": "experiment"})
outcome["status"], outcome["error"], outcome["seconds"]   # "done" | "failed"

This module imports no torch at the top, so a worker's thread settings come first.
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from contextlib import contextmanager
from pathlib import Path

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def threads_per_worker(workers: int) -> int:
    return max(1, available_cpus() // workers)


def set_threads(n: int) -> None:
    """Worker initializer: `n` threads for torch, OpenMP and MKL in this process."""
    for var in THREAD_VARS:
        os.environ[var] = str(n)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch

    torch.set_num_threads(n)


@contextmanager
def _output_to(path: str | None):
    """Send this process's stdout and stderr (file descriptors 1 and 2) to `path`."""
    if path is None:
        yield
        return
    import sys

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for f in (fd, *saved):
            os.close(f)


def worker_name() -> str:
    """host:pid of this process (which machine and process ran a cell)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def error_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def run_cell(job: dict) -> dict:
    """Train the cell's spec into its run directory; never raises (failures are returned)."""
    t0 = time.perf_counter()
    run_dir = Path(job["run_dir"])
    out = {"cell": job["cell"], "status": "done", "error": None, "worker": worker_name()}
    with _output_to(job.get("log")):
        try:
            import torch

            from forgetlab.sweeps.kinds import cell_kinds

            out["threads"] = torch.get_num_threads()
            kind = cell_kinds.get(job.get("kind", "experiment"))
            if kind.run(job["spec"], run_dir):  # a killed cell goes on where it stopped
                out["resumed"] = True
        except Exception as exc:  # a failed cell is recorded, not fatal
            out.update(status="failed", error=error_line(exc))
            tb = traceback.format_exc()
            print(tb, flush=True)
            try:
                run_dir.mkdir(parents=True, exist_ok=True)
                (run_dir / "traceback.txt").write_text(tb)
            except OSError:
                pass
    out["seconds"] = round(time.perf_counter() - t0, 3)
    return out


def run_cell_with_threads(job: dict, threads: int) -> dict:
    """A Ray task: set the threads to the task's CPUs, then run the cell."""
    set_threads(threads)
    return run_cell(job)
