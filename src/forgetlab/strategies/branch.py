"""`branch`: parameter isolation. One LoRA adapter (and one head) per task, chosen by the task
id at test time: the model-branching strategy of task-incremental learning.

The backbone is frozen; stage i adds adapter `task{i}` (peft) and trains only it and the
task's head. Evaluating task j uses adapter `task{j}`, or the bare backbone for a task not
trained yet. Task-incremental streams only (the task id picks the branch), with the `full`
method (the branches are the fine-tuning method).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Literal

from pydantic import Field, PositiveInt

from forgetlab.errors import ForgetlabError
from forgetlab.methods.peft_common import add_task_adapter
from forgetlab.spec.base import SpecModel
from forgetlab.strategies.base import Strategy, TaskContext, strategies


class BranchSpec(SpecModel):
    kind: Literal["branch"] = "branch"
    r: PositiveInt = Field(8, description="LoRA rank of each branch")
    alpha: float = Field(16.0, gt=0, description="LoRA scaling")
    target_modules: list[str] | None = Field(None, description="default: peft's choice")


@strategies.register("branch", help="one LoRA branch + head per task, picked by task id (TIL)")
class Branch(Strategy):
    Spec = BranchSpec
    requires = {
        "scenario": ("task_incremental", "the task id picks the branch at test time"),
        "method": ("full", "adds its own LoRA per task"),
    }

    def _add(self, learner, name: str) -> None:
        add_task_adapter(learner, name, self.spec.r, self.spec.alpha, self.spec.target_modules)

    def begin_task(self, ctx: TaskContext) -> None:
        name = f"task{ctx.stage}"
        self._add(ctx.learner, name)
        ctx.learner.backbone.set_adapter(name)
        self.branches_ = {**getattr(self, "branches_", {}), ctx.stage: name}

    def trainable(self, ctx: TaskContext, params: dict) -> dict:
        """Only this task's branch (its LoRA weights) and its head."""
        learner, name = ctx.learner, self.branches_[ctx.stage]
        own = {id(p) for n, p in learner.backbone.named_parameters() if f".{name}." in n}
        if learner.mode == "classifier":
            own |= {id(p) for p in learner.heads.blocks[ctx.stage].parameters()}
        return {n: p for n, p in learner.named_parameters() if id(p) in own}

    def route(self, learner, task_ids):
        """The batch's task's branch, or the bare backbone for a task without one."""
        if not getattr(self, "branches_", None):
            return None
        return self._routed(learner, task_ids)

    @contextmanager
    def _routed(self, learner, task_ids):
        tasks = set(task_ids.tolist())
        if len(tasks) != 1:
            raise ForgetlabError("strategy 'branch': a batch mixes tasks; branches need one task")
        name = self.branches_.get(tasks.pop())
        backbone = learner.backbone
        if name is None:
            with backbone.disable_adapter():
                yield
            return
        flags = [(p, p.requires_grad) for p in backbone.parameters()]
        active = backbone.active_adapter
        backbone.set_adapter(name, inference_mode=name != active)
        try:
            yield
        finally:
            backbone.set_adapter(active)
            for p, flag in flags:
                p.requires_grad_(flag)

    def rebuild(self, learner) -> None:
        for stage in sorted(getattr(self, "branches_", {})):
            self._add(learner, self.branches_[stage])
