"""`ray` backend: each cell is a Ray task with the spec's CPUs and GPUs per cell.

with RayBackend(BackendSpec(kind="ray", workers=2)) as backend:   # starts a local Ray
    handle = backend.submit(job)
    for handle, outcome in backend.wait([handle]): ...

With `address`, it joins that cluster and leaves it running; otherwise it starts a local
instance (`workers` CPUs, no dashboard) and shuts it down at the end. Ray does the
scheduling. On a multi-node cluster the sweep directory must be on a shared filesystem and
forgetlab installed on every node.
"""

from __future__ import annotations

import os

from forgetlab.errors import ForgetlabError
from forgetlab.sweeps.cell import error_line, run_cell_with_threads
from forgetlab.sweeps.spec import BackendSpec


class RayBackend:
    def __init__(self, spec: BackendSpec) -> None:
        self.spec = spec
        self.threads = max(1, int(spec.num_cpus))
        self.slots = 1 << 30  # every cell goes to Ray at once; "running" means submitted
        self._started = False

    def __enter__(self) -> RayBackend:
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # no ~/.ray/auth_token
        try:
            import ray
        except ImportError:
            raise ForgetlabError(
                "backend 'ray' needs the ray package: pip install 'forgetlab[sweep]'"
            ) from None
        self._ray = ray
        if not ray.is_initialized():
            if self.spec.address is not None:
                try:
                    ray.init(address=self.spec.address, log_to_driver=False)
                except ConnectionError as e:
                    raise ForgetlabError(
                        f"backend.address: cannot join Ray at {self.spec.address!r}: {e}"
                    ) from None
            else:
                ray.init(num_cpus=self.spec.workers, include_dashboard=False, log_to_driver=False)
                self._started = True
        self._task = ray.remote(
            num_cpus=self.spec.num_cpus, num_gpus=self.spec.num_gpus, max_retries=0
        )(run_cell_with_threads)
        return self

    def __exit__(self, *exc) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False

    def submit(self, job: dict):
        return self._task.remote(job, self.threads)

    def wait(self, handles: list) -> list[tuple[object, dict]]:
        ray = self._ray
        ready, _ = ray.wait(handles, num_returns=1)
        out = []
        for ref in ready:
            try:
                out.append((ref, ray.get(ref)))
            except ray.exceptions.RayError as e:  # the task's worker died
                out.append((ref, {"status": "failed", "error": error_line(e)}))
        return out
