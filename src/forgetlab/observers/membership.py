"""`membership`: dataset inference after every stage, a membership p-value matrix M beside R.

    [membership]
    examples = 100        # per task: members from its training data, non-members from its test
    perturbations = []    # fewer forward passes; default: loss-type features only

Before training and after every stage, for every task seen so far (and, before training,
every task), `forgetlab.inference.membership_test` asks whether the model was trained on
the task's training examples, against the task's test examples (same distribution, never
trained on). M[i][j] is that p-value after stage i; it answers "does the model still carry
the trace of task j's data" where R answers "can it still do task j". A trace outliving the
accuracy shows as M[i][j] small while R[i][j] has fallen.
"""

from __future__ import annotations

import random

from pydantic import Field, PositiveInt, field_validator

from forgetlab.observers.base import History, Observer, ObserverEnv, StageView, register
from forgetlab.spec.base import SpecModel


class MembershipSpec(SpecModel):
    examples: PositiveInt = Field(
        100, description="members (training) and non-members (test) per task and stage"
    )
    splits: PositiveInt = Field(10, description="random halvings per test (p combined)")
    alpha: float = Field(0.05, gt=0, lt=1, description="significance level of the verdict")
    perturbations: tuple[str, ...] = Field(
        (), description="perturbation features (each costs a forward pass per example)"
    )
    max_length: PositiveInt = Field(128, description="tokens per scored example")

    @field_validator("perturbations")
    @classmethod
    def _known(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        from forgetlab.inference.perturb import perturbations

        for name in v:
            perturbations.get(name)  # one line with a suggestion for a misspelt name
        return v


@register("membership", help="dataset inference per task after every stage (p-values M)")
class Membership(Observer):
    section = "membership"
    Spec = MembershipSpec

    def __init__(self, spec: MembershipSpec, seed: int, env: ObserverEnv) -> None:
        self.spec, self.seed, self.env = spec, seed, env
        self.samples = [self._sample(t, j) for j, t in enumerate(env.stream.tasks)]

    @classmethod
    def build(cls, spec, env: ObserverEnv) -> Membership | None:
        return cls(spec.membership, spec.seed, env) if spec.membership is not None else None

    def _sample(self, task, j: int) -> tuple[list, list]:
        """A fixed, seeded sample of the task's training (members) and test examples."""
        rng = random.Random(f"membership:{self.seed}:{j}")
        n = min(self.spec.examples, len(task.train), len(task.test))
        return rng.sample(list(task.train), n), rng.sample(list(task.test), n)

    def _row(self, view: StageView, tasks: list[int]) -> dict:
        from forgetlab.inference import membership_test

        T = len(view.stream.tasks)
        p: list[float | None] = [None] * T
        for j in tasks:
            members, nonmembers = self.samples[j]
            out = membership_test(
                view.learner,
                None,
                members,
                nonmembers,
                seed=self.seed,
                sizes=[len(members) // 2],
                splits=self.spec.splits,
                alpha=self.spec.alpha,
                perturbations=self.spec.perturbations,
                max_length=self.spec.max_length,
            )
            p[j] = float(out["verdict"]["p_value"])
        return {"membership_p": p}

    def before_stream(self, view: StageView) -> dict:
        return self._row(view, list(range(len(view.stream.tasks))))

    def after_stage(self, view: StageView) -> dict:
        return self._row(view, list(range(view.stage + 1)))

    def results(self, history: History) -> dict:
        M = history.column("membership_p")
        alpha = self.spec.alpha
        return {
            "membership": {
                "alpha": alpha,
                "examples": self.spec.examples,
                "initial_p": history.merged(-1).get("membership_p"),
                "p_value_matrix": M,
                "significant": [[None if p is None else p < alpha for p in row] for row in M],
            }
        }

    def score_rows(self, history: History) -> list[tuple]:
        names = self.env.stream.task_names
        rows = []
        for stage in range(-1, len(history.stages)):
            for task, p in zip(names, history.merged(stage).get("membership_p") or []):
                if p is not None:
                    rows.append((stage, task, "membership_p", p))
        return rows
