"""`branch`: parameter isolation. One LoRA adapter (and one head) per task, chosen by the task
id at test time: the model-branching strategy of task-incremental learning.

The backbone is frozen; stage i adds adapter `task{i}` (peft) and trains only it and the
task's head. Evaluating task j uses adapter `task{j}`, or the bare backbone for a task not
trained yet. Task-incremental streams only (the task id picks the branch), with the `full`
method (the branches are the fine-tuning method).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt

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
    cannot_resume = "it adds a peft adapter per task, which resume does not rebuild yet"
    requires = {
        "scenario": ("task_incremental", "the task id picks the branch at test time"),
        "method": ("full", "adds its own LoRA per task"),
    }

    def begin_task(self, ctx: TaskContext) -> None:
        learner, name = ctx.learner, f"task{ctx.stage}"
        add_task_adapter(learner, name, self.spec.r, self.spec.alpha, self.spec.target_modules)
        learner.backbone.set_adapter(name)  # only this branch's weights train
        self.branches_ = {**getattr(self, "branches_", {}), ctx.stage: name}
        learner.branches = dict(self.branches_)
