"""`evaluate`: accuracy on every task's test split before training and after every stage.

Its records are the rows of the accuracy matrix R (`accuracy`), the accuracy per test-example
group (`group_accuracy`, e.g. head/torso/tail), for text-to-text learners the gold label's
mean log-likelihood (`label_logprob`), and the seconds it took (`eval_s`). Test
features of a frozen backbone are reused across stages (`FrozenFeatureCache`); observers that
want the evaluation forward's hidden states (probing) get them through `on_hidden`.

Generative streams (chat, instructions) have no classes to rank: the model writes a response
to every test prompt (`[eval.generation]`: greedy or sampled, `max_new_tokens`) and R holds
one text score per task (`eval.generation.metric`: rouge_l by default), named in results.json
as `score_metric`; every score is also recorded per stage (`scores`: {metric: [per task]}).
"""

from __future__ import annotations

import time
from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, field_validator

from forgetlab.observers.base import History, Observer, ObserverEnv, StageView, register
from forgetlab.registry import did_you_mean
from forgetlab.spec.base import SpecModel


class GenerationSpec(SpecModel):
    metric: str = Field(
        "rouge_l", description="the score R holds: exact_match | token_f1 | rouge_l"
    )
    max_new_tokens: PositiveInt = Field(64, description="at most this many generated tokens")
    do_sample: bool = Field(False, description="false: greedy decoding; true: sampling")
    temperature: float = Field(1.0, gt=0, allow_inf_nan=False, description="sampling only")
    top_k: NonNegativeInt = Field(0, description="sampling only; 0: no top-k cut")
    top_p: float = Field(1.0, gt=0, le=1, description="sampling only; 1: no nucleus cut")
    batch_size: PositiveInt | None = Field(
        None, description="prompts per generate call (default: eval.batch_size)"
    )

    @field_validator("metric")
    @classmethod
    def _known(cls, v: str) -> str:
        from forgetlab.eval.text_scores import text_metrics

        if v not in text_metrics:
            hint = did_you_mean(v, text_metrics.names()) or " choose one of: " + ", ".join(
                text_metrics.names()
            )
            raise ValueError(f"unknown text metric {v!r};{hint}")
        return v


class EvalSpec(SpecModel):
    batch_size: PositiveInt = Field(128, description="examples per eval batch")
    exact_match: bool = Field(
        False,
        description="causal LMs: also generate each answer greedily and report exact-match "
        "accuracy per stage (next to the log-likelihood ranking)",
    )
    label_score: Literal["sum", "mean", "first_token"] = Field(
        "mean",
        description="text-to-text learners: rank candidate labels by the mean (length-robust), "
        "sum (log-likelihood; favours short labels) or first token's log-probability",
    )
    save_predictions: Literal["last", "every_stage"] = Field(
        "last",
        description="test-split predictions/stage-XXX.csv and confusion.json after the last "
        "stage or after every stage",
    )
    generation: GenerationSpec = Field(
        default_factory=GenerationSpec,
        description="generative (chat) streams: decoding settings and the score R holds",
    )


@register("evaluate", help="accuracy on every task's test split: the rows of R")
class Evaluation(Observer):
    section = "eval"
    Spec = EvalSpec
    optional = False

    def __init__(self, spec: EvalSpec, env: ObserverEnv, precision: str = "fp32") -> None:
        self.spec = spec
        self.learner = env.learner
        self.precision = precision  # the forward's autocast dtype, as in training
        self.cache = None  # FrozenFeatureCache, made at the first evaluation

    @classmethod
    def build(cls, spec, env: ObserverEnv) -> Evaluation:
        return cls(spec.eval, env, spec.train.precision)

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
        listeners, predicted_to = view.hidden_listeners, view.prediction_listeners

        def on_hidden(task, batch, hidden):
            for listen in listeners:
                listen(task, batch, hidden)

        def on_predicted(task, batch, predicted):
            for listen in predicted_to:
                listen(task, batch, predicted)

        from forgetlab.train.precision import Precision

        with Precision(self.precision, view.device).autocast():
            scores = evaluate(
                view.learner,
                stream,
                view.stage,
                view.encode,
                self.spec.batch_size,
                on_batch=(lambda: progress.advance(bar)) if progress else None,
                cache=self._feature_cache(),
                on_hidden=on_hidden if listeners else None,
                on_predicted=on_predicted if predicted_to else None,
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

    def _generate(self, view: StageView) -> dict:
        """A generative stream's row of R: the chosen text score of generated answers."""
        from forgetlab.eval.generation import score_generative
        from forgetlab.train.precision import Precision

        t0 = time.perf_counter()
        gen = self.spec.generation
        with Precision(self.precision, view.device).autocast():
            scores = score_generative(
                view.learner, view.stream, gen, self.spec.batch_size, view.seed, view.stage
            )
        return {
            "accuracy": [s.means[gen.metric] for s in scores],
            "scores": {k: [s.means[k] for s in scores] for k in scores[0].means},
            "samples": {
                view.stream.task_names[s.task]: [list(x) for x in s.samples] for s in scores
            },
            "eval_s": time.perf_counter() - t0,
        }

    def _score(self, view: StageView) -> dict:
        return self._generate(view) if view.stream.generative else self._evaluate(view)

    def before_stream(self, view: StageView) -> dict:
        return self._score(view)

    def after_stage(self, view: StageView) -> dict:
        return self._score(view)

    def results(self, history: History) -> dict:
        """`score_metric`: what the accuracy matrix R holds. Text-to-text learners: also the
        matrix of the gold label's mean log-likelihood and the forgetting by distance measured
        on it (a drop in log-likelihood, not in top-1)."""
        generative = self.learner.stream.generative
        out: dict = {"score_metric": self.spec.generation.metric if generative else "accuracy"}
        L = history.column("label_logprob")
        if not L or any(row is None for row in L):
            return out
        out["label_logprob_matrix"] = L
        out["initial_label_logprob"] = history.merged(-1).get("label_logprob")
        if len(L) == len(L[0]):
            from forgetlab.metrics.distance import forgetting_by_distance

            out["forgetting_by_distance_logprob"] = [float(x) for x in forgetting_by_distance(L)]
        return out
