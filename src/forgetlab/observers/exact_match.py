"""`exact_match`: with `[eval] exact_match = true`, causal LMs also generate every test answer
greedily after each stage; the record is the exact-match accuracy per task."""

from __future__ import annotations

from forgetlab.errors import SpecError
from forgetlab.observers.base import Observer, ObserverEnv, StageView, register


@register("exact_match", help="greedy generation accuracy per task (eval.exact_match)")
class ExactMatch(Observer):
    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size

    @classmethod
    def build(cls, spec, env: ObserverEnv) -> ExactMatch | None:
        return cls(spec.eval.batch_size) if spec.eval.exact_match else None

    @classmethod
    def check(cls, spec, mode: str) -> None:
        from forgetlab.streams import is_generative

        if spec.eval.exact_match and mode != "text_to_text":
            raise SpecError("eval.exact_match needs a causal LM (text_to_text mode)")
        if spec.eval.exact_match and is_generative(spec.stream):
            raise SpecError(
                "eval.exact_match: a generative stream is scored by generation already "
                "(exact_match, token_f1, rouge_l; see eval.generation)"
            )

    def after_stage(self, view: StageView) -> dict:
        from forgetlab.eval.exact_match import exact_match

        scores = exact_match(view.learner, view.stream, self.batch_size)
        return {"exact_match": [s.accuracy for s in scores]}
