"""Models: named offline models, hub/local loading, and the learners built on them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from forgetlab.models.batch import Batch, ModelOutput
from forgetlab.models.classifier import ClassifierLearner
from forgetlab.models.learner import Encoded, Learner
from forgetlab.models.text_to_text import TextToTextLearner
from forgetlab.models.zoo import describe, load, models

if TYPE_CHECKING:
    from forgetlab.spec import ExperimentSpec
    from forgetlab.streams.task import Stream

__all__ = ["Batch", "Encoded", "Learner", "ModelOutput", "build_learner", "describe", "models"]


def build_learner(spec: ExperimentSpec, stream: Stream) -> Learner:
    """Load the backbone (seeded, so random-init models are reproducible) and wrap it."""
    import torch

    torch.manual_seed(spec.seed)
    backbone, tokenizer, mode = load(spec.model)
    if mode == "text_to_text":
        return TextToTextLearner(backbone, tokenizer, stream, spec.train.max_length)
    return ClassifierLearner(backbone, tokenizer, stream, spec.train.max_length, spec.model.pooling)
