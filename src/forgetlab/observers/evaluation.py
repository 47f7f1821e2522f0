"""`evaluate`: accuracy on every task's test split before training and after every stage.

Its records are the rows of the accuracy matrix R (`accuracy`), the accuracy per test-example
group (`group_accuracy`, e.g. head/torso/tail), for text-to-text learners the gold label's
mean log-likelihood (`label_logprob`), and the seconds it took (`eval_s`). Test
features of a frozen backbone are reused across stages (`FrozenFeatureCache`); observers that
want the evaluation forward's hidden states (probing) get them through `on_hidden`.
"""

from __future__ import annotations

import time

from pydantic import Field, PositiveInt

from forgetlab.observers.base import History, Observer, ObserverEnv, StageView, register
from forgetlab.spec.base import SpecModel


class EvalSpec(SpecModel):
    batch_size: PositiveInt = Field(128, description="examples per eval batch")
    exact_match: bool = Field(
        False,
        description="causal LMs: also generate each answer greedily and report exact-match "
        "accuracy per stage (next to the log-likelihood ranking)",
    )


@register("evaluate", help="accuracy on every task's test split: the rows of R")
class Evaluation(Observer):
    section = "eval"
    Spec = EvalSpec
    optional = False

    def __init__(self, spec: EvalSpec, env: ObserverEnv) -> None:
        self.spec = spec
        self.learner = env.learner
        self.cache = None  # FrozenFeatureCache, made at the first evaluation

    @classmethod
    def build(cls, spec, env: ObserverEnv) -> Evaluation:
        return cls(spec.eval, env)

    def _feature_cache(self):
        from forgetlab.eval.feature_cache import FrozenFeatureCache

        if self.cache is None and FrozenFeatureCache.applies(self.learner):
            self.cache = FrozenFeatureCache(self.learner)
        return self.cache

    def _evaluate(self, view: StageView) -> dict:
        from forgetlab.eval import evaluate

        t0 = time.perf_counter()
        stream, progress = view.stream, view.progress
        n_batches = sum(-(-len(t.test) // self.spec.batch_size) for t in stream.tasks)
        label = f"eval after stage {view.stage}" if view.stage >= 0 else "eval (initial)"
        bar = progress.add_task(label, total=n_batches, info="") if progress else None
        listeners = view.hidden_listeners

        def on_hidden(task, batch, hidden):
            for listen in listeners:
                listen(task, batch, hidden)

        scores = evaluate(
            view.learner,
            stream,
            view.stage,
            view.encode,
            self.spec.batch_size,
            on_batch=(lambda: progress.advance(bar)) if progress else None,
            cache=self._feature_cache(),
            on_hidden=on_hidden if listeners else None,
        )
        if progress:
            progress.remove_task(bar)
        names = stream.task_names
        logprob = {}
        if scores and scores[0].label_logprob is not None:
            logprob = {"label_logprob": [s.label_logprob for s in scores]}
        return {
            "accuracy": [s.accuracy for s in scores],
            **logprob,
            "group_accuracy": {
                names[s.task]: {g: c / n for g, (c, n) in s.groups.items()}
                for s in scores
                if s.groups
            },
            "eval_s": time.perf_counter() - t0,
        }

    def before_stream(self, view: StageView) -> dict:
        return self._evaluate(view)

    def after_stage(self, view: StageView) -> dict:
        return self._evaluate(view)

    def results(self, history: History) -> dict | None:
        """Text-to-text learners: the matrix of the gold label's mean log-likelihood and the
        forgetting by distance measured on it (a drop in log-likelihood, not in top-1)."""
        L = history.column("label_logprob")
        if not L or any(row is None for row in L):
            return None
        out = {
            "label_logprob_matrix": L,
            "initial_label_logprob": history.merged(-1).get("label_logprob"),
        }
        if len(L) == len(L[0]):
            from forgetlab.metrics.distance import forgetting_by_distance

            out["forgetting_by_distance_logprob"] = [float(x) for x in forgetting_by_distance(L)]
        return out
