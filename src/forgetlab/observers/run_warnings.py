"""`warnings`: say once, clearly, when a run is silently useless; also recorded in
results.json as `warnings: list[str]`.

- a task not learned: its diagonal R[i][i] at or below its chance level + `UNLEARNED_MARGIN`
  right after training on it (suggests raising train.lr or train.epochs);
- a replay memory (strategies with `replays = True`: er, derpp, agem) whose `memory_size` is
  at least as large as the whole stream's
  training set: replay then keeps every example and the strategy becomes joint training;
- train.lr far from what the model needs: above `FULL_FT_MAX_LR` for full fine-tuning of a
  pretrained transformer, or below `MIN_LR` for any model.

Each warning is logged once (logger "forgetlab": the CLI prints it as a `warning: ...` line)
when it is known: the spec's before training, a task's after its stage.
"""

from __future__ import annotations

import logging

from forgetlab.observers.base import History, Observer, ObserverEnv, StageView, register

UNLEARNED_MARGIN = 0.05
FULL_FT_MAX_LR = 1e-3
MIN_LR = 1e-6

log = logging.getLogger("forgetlab")


def unlearned_tasks(diagonal: list[float], chance: list[float], names: list[str]) -> list[str]:
    """A warning per task whose accuracy right after its stage is at most chance + margin."""
    out = []
    for name, acc, c in zip(names, diagonal, chance):
        if acc <= c + UNLEARNED_MARGIN:
            out.append(
                f"task {name!r} was not learned: accuracy {acc:.3f} right after training on "
                f"it, at or near chance ({c:.3f}); raise train.lr or train.epochs"
            )
    return out


def replay_memory_size(strategy) -> int | None:
    """The examples a replay strategy's memory holds by `memory_size` (None: sized otherwise,
    or not a replay strategy)."""
    from forgetlab.retrieval.store import DEFAULT_SIZE
    from forgetlab.strategies import strategies

    if not strategies.get(strategy.kind).replays:
        return None
    if getattr(strategy, "memory_fraction", None) is not None:
        return None
    if getattr(strategy, "selection", None) == "all":
        return None
    size = getattr(strategy, "memory_size", None)
    return size if size is not None else DEFAULT_SIZE


def memory_warnings(strategies, train_examples: int) -> list[str]:
    """A warning per replay memory at least as large as the stream's training set."""
    out = []
    for st in strategies:
        size = replay_memory_size(st)
        if size is not None and size >= train_examples:
            out.append(
                f"strategy {st.kind}: memory_size {size} holds all {train_examples} training "
                "examples of the stream, so replay becomes joint training; lower memory_size"
            )
    return out


def lr_warnings(lr: float, method: str, pretrained: bool) -> list[str]:
    """A warning when `lr` is far from what the model and method need."""
    if lr < MIN_LR:
        return [
            f"train.lr = {lr:g} is below {MIN_LR:g}: the weights will barely move; typical "
            "values are 1e-5 to 1e-4 for full fine-tuning, 1e-4 to 1e-3 for LoRA and adapters"
        ]
    if method == "full" and pretrained and lr > FULL_FT_MAX_LR:
        return [
            f"train.lr = {lr:g} is above {FULL_FT_MAX_LR:g} for full fine-tuning of a "
            "pretrained transformer, which usually destroys what it learned in pretraining; "
            "typical values are 1e-5 to 1e-4"
        ]
    return []


def is_pretrained(model_spec) -> bool:
    """A hub or local model, or a registered one built from a pretrained checkpoint."""
    from forgetlab.models.zoo import models

    if model_spec.name in models:
        return models.get(model_spec.name).config is not None
    return True


def spec_warnings(spec, stream) -> list[str]:
    """What the spec alone says is wrong (before training)."""
    n_train = sum(len(t.train) for t in stream.tasks)
    return memory_warnings(spec.strategy, n_train) + lr_warnings(
        spec.train.lr, spec.method.kind, is_pretrained(spec.model)
    )


@register("warnings", help="a task not learned, replay memory = the stream, lr far off")
class RunWarnings(Observer):
    def __init__(self, stream, static: list[str]) -> None:
        from forgetlab.metrics.baselines import chance_matrix

        self.stream = stream
        self.static = static
        self.chance: list[float] = []  # chance of each task's diagonal cell
        if not stream.generative:  # free-text targets have no chance level
            chance = chance_matrix(stream)[1:]  # [stage][task]
            self.chance = [chance[i][i] for i in range(len(stream.tasks))]
        self.said: set[str] = set()

    @classmethod
    def build(cls, spec, env: ObserverEnv) -> RunWarnings:
        static = spec_warnings(spec, env.stream)
        return cls(env.stream, static)

    def _say(self, messages: list[str]) -> None:
        for m in messages:
            if m not in self.said:
                self.said.add(m)
                log.warning(m)

    def _all(self, history: History) -> list[str]:
        out = list(self.static)
        if not self.stream.generative:
            R = history.accuracy_matrix()
            diagonal = [row[i] for i, row in enumerate(R) if row is not None]
            out += unlearned_tasks(diagonal, self.chance, self.stream.task_names)
        return out

    def before_stream(self, view: StageView) -> None:
        self._say(self.static)

    def results(self, history: History) -> dict:
        found = self._all(history)
        self._say(found)
        return {"warnings": found}
