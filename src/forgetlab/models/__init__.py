"""Models: named offline models, hub/local loading, and the learners built on them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from forgetlab.models.batch import Batch, ModelOutput
from forgetlab.models.classifier import ClassifierLearner
from forgetlab.models.fit import check_fit
from forgetlab.models.generative import GenerativeLearner
from forgetlab.models.learner import Encoded, Learner
from forgetlab.models.text_to_text import TextToTextLearner
from forgetlab.models.zoo import describe, load, models, skeleton

if TYPE_CHECKING:
    from forgetlab.spec import ExperimentSpec
    from forgetlab.streams.task import Stream

__all__ = [
    "Batch",
    "Encoded",
    "GenerativeLearner",
    "Learner",
    "ModelOutput",
    "build_learner",
    "describe",
    "models",
    "skeleton",
]


def head_kind(spec: ExperimentSpec) -> str:
    """The model's `head` if set, else the first preference of a strategy, else linear."""
    if spec.model.head is not None:
        return spec.model.head
    prefs = [getattr(s, "head", None) for s in spec.strategy]
    return next((p for p in prefs if p is not None), "linear")


def build_learner(spec: ExperimentSpec, stream: Stream) -> Learner:
    """Load the backbone (seeded, so random-init models are reproducible), wrap it in a
    learner and apply the fine-tuning method."""
    import torch

    from forgetlab.methods import build_method

    torch.manual_seed(spec.seed)
    method = build_method(spec.method)
    method.check_environment()
    extra = method.load_kwargs()
    if extra and spec.model.name in models:
        from forgetlab.errors import SpecError

        raise SpecError(
            f"method.quantize: {spec.model.name!r} is built from a config here; quantized "
            "loading needs a hub or local model"
        )
    from forgetlab.models.tokenizer_check import (
        check_tokenizer,
        check_tokenizer_files,
        sample_texts,
    )

    check_tokenizer_files(spec.model)  # before transformers builds an empty vocabulary
    backbone, tokenizer, mode = load(spec.model, extra)
    check_fit(backbone, tokenizer, spec)  # the checks `forgetlab validate` makes
    check_tokenizer(spec.model, backbone, tokenizer, sample_texts(stream))
    if stream.generative and mode != "text_to_text":
        from forgetlab.errors import SpecError

        raise SpecError(f"model.name: a {stream.scenario} stream needs a causal LM, not {mode}")
    if stream.generative:
        learner = GenerativeLearner(backbone, tokenizer, stream, spec.train.max_length)
    elif mode == "text_to_text":
        learner = TextToTextLearner(
            backbone, tokenizer, stream, spec.train.max_length, spec.eval.label_score
        )
    else:
        learner = ClassifierLearner(
            backbone, tokenizer, stream, spec.train.max_length, spec.model.pooling, head_kind(spec)
        )
    if spec.model.dtype != "float32":
        learner.to(getattr(torch, spec.model.dtype))
    method.apply(learner)
    learner.method_params = frozenset(id(p) for p in learner.parameters() if p.requires_grad)
    return learner
