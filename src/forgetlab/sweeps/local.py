"""`local` backend: a process pool (spawn) on this machine, cores split between workers.

with LocalBackend(workers=2) as backend:
    handle = backend.submit(job)
    for handle, outcome in backend.wait([handle]): ...
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from forgetlab.sweeps.cell import run_cell, set_threads, threads_per_worker


class LocalBackend:
    """Each worker process gets cpu_count // workers threads (at least 1)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.threads = threads_per_worker(workers)
        self.slots = workers  # cells handed out at once: "running" means running
        self._pool: ProcessPoolExecutor | None = None

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=set_threads,
                initargs=(self.threads,),
            )
        return self._pool

    def __enter__(self) -> LocalBackend:
        self._start()
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def submit(self, job: dict) -> Future:
        return self._start().submit(run_cell, job)

    def wait(self, handles: list[Future]) -> list[tuple[Future, dict]]:
        done, _ = wait(handles, return_when=FIRST_COMPLETED)
        out = []
        for fut in done:
            try:
                out.append((fut, fut.result()))
            except BrokenProcessPool as e:  # a worker died (killed, out of memory)
                out.append((fut, {"status": "failed", "error": f"worker process died: {e}"}))
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None  # the next submit starts a fresh pool
        return out
