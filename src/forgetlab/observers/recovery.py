"""`recovery`: how fast does a forgotten task come back? (spurious forgetting)

Zheng et al., "Spurious Forgetting in Continual Learning of Language Models" (ICLR 2025),
argue that much of what a model loses on old tasks is task alignment, not knowledge: a few
steps of relearning bring it back. With a `[recovery]` table, after the last stage (or after
every stage) and for every old task j, a copy of the model trains `steps` optimizer steps on
`examples_per_task` of task j's training examples and is scored on task j's test split:

    recovered[j]   accuracy of the trained model's copy after k steps on task j
    baseline[j]    the same k steps, same examples and order, from the untrained model
    savings[j]     recovered[j] - baseline[j]: what the earlier training still gives

Relearning uses the stage loop's own `train_stage` (fresh AdamW, warmup and linear decay over
the k steps, `train`'s lr unless `lr` is set, no strategy) with the candidate set of the
stage it follows, and draws its sample, shuffling and dropout from generators derived from
the experiment seed and the task, so the copy of the trained and of the untrained model see
the same data in the same order. The live model is never touched. Results sit next to R and
the probe matrix: expressed (R), decodable (probe), relearnable (recovery).

    [recovery]
    steps = 10
    examples_per_task = 32
    every_stage = false
"""

from __future__ import annotations

import copy
import math
from dataclasses import replace

from pydantic import Field, PositiveFloat, PositiveInt

from forgetlab.observers.base import History, Observer, ObserverEnv, StageView, register
from forgetlab.seeding import derived_rng, derived_seed
from forgetlab.spec.base import SpecModel


class RecoverySpec(SpecModel):
    steps: PositiveInt = Field(10, description="optimizer steps of relearning per old task (k)")
    examples_per_task: PositiveInt = Field(
        32, description="training examples of each old task relearning draws from (seeded)"
    )
    every_stage: bool = Field(
        False, description="measure after every stage (its earlier tasks), not only the last"
    )
    lr: PositiveFloat | None = Field(None, description="peak lr of relearning (None: train.lr)")
    batch_size: PositiveInt | None = Field(
        None, description="examples per step (None: train.batch_size, at most examples_per_task)"
    )


@register("recovery", help="a few steps of relearning on each old task vs the untrained model")
class Recovery(Observer):
    section = "recovery"
    Spec = RecoverySpec

    def __init__(self, spec: RecoverySpec, train, env: ObserverEnv, seed: int) -> None:
        self.spec = spec
        self.stream = env.stream
        self.seed = seed
        self.last = len(env.stream.tasks) - 1
        batch = min(spec.batch_size or train.batch_size, spec.examples_per_task)
        self.train = train.model_copy(
            update={
                "batch_size": batch,
                "lr": spec.lr or train.lr,
                "online": False,
                "epochs": math.ceil(spec.steps / math.ceil(spec.examples_per_task / batch)),
            }
        )
        self.untrained = self._copy(env.learner)  # built before any training (and on resume)
        self.baseline_: dict[str, float] = {}  # "task:candidates" -> accuracy, reused

    @classmethod
    def build(cls, spec, env: ObserverEnv) -> Recovery | None:
        if spec.recovery is None or len(env.stream.tasks) < 2:
            return None
        return cls(spec.recovery, spec.train, env, spec.seed)

    @staticmethod
    def _copy(learner):
        """A deep copy of the learner's modules (the stream and tokenizer shared), with the
        method's trainable set (parameter ids) mapped onto the copy's parameters."""
        memo = {id(learner.stream): learner.stream, id(learner.tokenizer): learner.tokenizer}
        twin = copy.deepcopy(learner, memo)
        if learner.method_params is not None:
            names = {n for n, p in learner.named_parameters() if id(p) in learner.method_params}
            twin.method_params = frozenset(id(p) for n, p in twin.named_parameters() if n in names)
        return twin

    def sample(self, task: int) -> tuple:
        """The seeded training examples task `task` is relearned from."""
        train = list(self.stream.tasks[task].train)
        n = min(self.spec.examples_per_task, len(train))
        rng = derived_rng(self.seed, "recovery_sample", task)
        return tuple(train[i] for i in sorted(rng.sample(range(len(train)), n)))

    def relearn(self, learner, stage: int, task: int, view: StageView) -> float:
        """Accuracy on `task` of a copy of `learner` after `steps` steps on its sample, with
        the candidates of `stage`."""
        import torch

        from forgetlab.train.loop import train_stage
        from forgetlab.train.stream import stage_context

        stream = self.stream
        tasks = list(stream.tasks)
        tasks[stage] = replace(tasks[stage], train=self.sample(task))  # ctx.task = the sample
        relearn_stream = replace(stream, tasks=tuple(tasks))
        model = self._copy(learner)
        ctx = stage_context(
            model, relearn_stream, self.train, stage, self.seed, view.encode, view.device
        )
        ctx = replace(ctx, rng=derived_rng(self.seed, "recovery_order", task))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(derived_seed(self.seed, "recovery_torch", task))
            train_stage(ctx, [], max_steps=self.spec.steps)
        return _accuracy(model, stream, stage, task, view.encode, self.train.batch_size)

    def _measure(self, view: StageView) -> dict:
        stage = view.stage
        recovered, baseline = {}, {}
        for j in range(stage):
            recovered[j] = self.relearn(view.learner, stage, j, view)
            key = f"{j}:{','.join(map(str, self.stream.candidates(stage, j)))}"
            if key not in self.baseline_:
                self.baseline_[key] = self.relearn(self.untrained, stage, j, view)
            baseline[j] = self.baseline_[key]
        T = len(self.stream.tasks)
        return {
            "recovered": [recovered.get(j) for j in range(T)],
            "baseline": [baseline.get(j) for j in range(T)],
        }

    def after_stage(self, view: StageView) -> dict | None:
        if view.stage == 0 or not (self.spec.every_stage or view.stage == self.last):
            return None
        return {"recovery": self._measure(view)}

    def _rows(self, history: History) -> list[dict | None]:
        return [(rec.get(self.name) or {}).get("recovery") for rec in history.stages]

    def results(self, history: History) -> dict:
        rows = self._rows(history)
        R = history.accuracy_matrix()
        T = len(self.stream.tasks)

        def matrix(key: str) -> list:
            return [r[key] if r else [None] * T for r in rows]

        rec, base = matrix("recovered"), matrix("baseline")
        savings = [
            [a - b if a is not None and b is not None else None for a, b in zip(ra, rb)]
            for ra, rb in zip(rec, base)
        ]
        gain = [
            [a - r if a is not None else None for a, r in zip(ra, R[i])] for i, ra in enumerate(rec)
        ]
        return {
            "recovery": {
                "steps": self.spec.steps,
                "examples_per_task": self.spec.examples_per_task,
                "accuracy_matrix": rec,  # [stage][task]: after k steps of relearning
                "baseline_accuracy_matrix": base,  # the untrained model, same k steps
                "savings": savings,  # recovered - baseline
                "gain": gain,  # recovered - R (what k steps bring back)
            }
        }

    def metric_inputs(self, history: History) -> dict:
        rows = self._rows(history)
        last = rows[-1] if len(rows) == self.last + 1 else None
        if not last:
            return {}
        return {"recovered": last["recovered"], "recovery_baseline": last["baseline"]}

    def state_dict(self) -> dict:
        return {"baseline": dict(self.baseline_)}

    def load_state_dict(self, state: dict) -> None:
        self.baseline_ = dict(state.get("baseline") or {})


def _accuracy(learner, stream, stage: int, task: int, encode, batch_size: int) -> float:
    """Accuracy of `learner` on `task`'s test split with the candidates of `stage`."""
    import torch

    from forgetlab.train.batching import eval_batches

    candidates = stream.candidates(stage, task)
    learner.eval()
    correct = 0
    examples = list(stream.tasks[task].test)
    with torch.inference_mode():
        for items in eval_batches(encode(examples), max(batch_size, 64)):
            batch = learner.collate(items).to(learner.device)
            correct += int((learner.predict(batch, candidates) == batch.labels).sum())
    return correct / len(examples)
