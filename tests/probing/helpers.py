"""Tiny learners and streams for the probing tests."""

from __future__ import annotations

from functools import lru_cache

import torch

from forgetlab.eval import evaluate
from forgetlab.models import build_learner
from forgetlab.spec import spec_from_dict
from forgetlab.streams import build_stream
from tests.conftest import tiny_wordnet


@lru_cache(maxsize=8)
def _spec_and_stream(model: str, items: tuple):
    spec_dict = tiny_wordnet(
        **{"n_tasks": 2, "train_per_class": 40, "test_per_class": 12, **dict(items)}
    )
    spec_dict["model"] = {"name": model}
    spec = spec_from_dict(spec_dict)
    return spec, build_stream(spec.stream)  # streams are immutable: built once per test file


def tiny(model: str = "tiny-bert", **stream):
    """(spec, stream, fresh learner) for a small WordNet stream (2 tasks x 2 classes)."""
    spec, stream_ = _spec_and_stream(model, tuple(sorted(stream.items())))
    return spec, stream_, build_learner(spec, stream_)


def run_eval(learner, stream, stage: int, on_hidden=None, on_predicted=None):
    encode = lambda exs: [learner.encode(e) for e in exs]  # noqa: E731
    return evaluate(
        learner, stream, stage, encode, 16, on_hidden=on_hidden, on_predicted=on_predicted
    )


def perturb(learner, scale: float = 0.05, seed: int = 0) -> None:
    """Move every backbone weight a little: a model that changed during a stage."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in learner.backbone.parameters():
            p.add_(scale * torch.randn(p.shape, generator=g))
