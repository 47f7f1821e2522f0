"""Data-parallel runs over several processes (GPUs or CPU processes), through Accelerate.

    accelerate launch -m forgetlab run SPEC               # every process trains a share
    accelerate launch --cpu --num_processes 2 -m forgetlab run SPEC

Every process builds the same stream, learner and strategies (same seeds). Each optimizer
step's batch (`train.batch_size` examples, identical on every process) is cut into
world_size x grad_accum micro-batches; process r computes micro-batches r, r + world, ...
with each micro-batch's loss weighted by its share of the whole batch, and the gradients are
summed over the processes (all-reduce) before the step: the update equals the one-process
update of the same global batch (up to float summation order). Strategies run on every
process on identical data, so their state stays identical. Evaluation, probing and every
file are the main process's: the others skip the observers and never write.

A resume state holds no trace of the world size: a run killed with 4 processes resumes with
1 or 8. `Dist.current()` is the single process (world 1) unless launched distributed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Dist:
    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world > 1

    @staticmethod
    def current() -> Dist:
        """The process's place in a distributed launch (env WORLD_SIZE > 1), with the
        process group initialised through Accelerate; a single process otherwise."""
        if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
            return Dist()
        from accelerate import PartialState

        state = PartialState()  # initialises torch.distributed from the launcher's env
        return Dist(state.process_index, state.num_processes)

    def device(self, choice: str) -> torch.device:
        """The device of this process: its own GPU (LOCAL_RANK) when CUDA is used."""
        from forgetlab.runs.device import pick_device

        device = pick_device(choice)
        if device.type == "cuda" and self.active:
            return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        return device

    def my_share(self, micros: list) -> list:
        """This process's micro-batches: r, r + world, ..."""
        return micros[self.rank :: self.world]

    def sum_gradients(self, params: list[torch.nn.Parameter]) -> None:
        """All-reduce (sum) the gradients of `params` over the processes, as one flat buffer."""
        if not self.active:
            return
        import torch.distributed as dist

        for p in params:
            if p.grad is None:  # a process without a micro-batch of this step
                p.grad = torch.zeros_like(p)
        grads = [p.grad for p in params]
        flat = torch._utils._flatten_dense_tensors(grads)
        dist.all_reduce(flat)
        for g, synced in zip(grads, torch._utils._unflatten_dense_tensors(flat, grads)):
            g.copy_(synced)

    def sum(self, value: torch.Tensor) -> torch.Tensor:
        if not self.active:
            return value
        import torch.distributed as dist

        value = value.clone()
        dist.all_reduce(value)
        return value

    def broadcast(self, obj):
        """`obj` as the main process has it (e.g. the run directory it chose)."""
        if not self.active:
            return obj
        import torch.distributed as dist

        box = [obj]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def barrier(self) -> None:
        if self.active:
            import torch.distributed as dist

            dist.barrier()
