"""What a pretraining spec will do, without a corpus or a model: the shape and its parameter
count, the steps, and the steps at which checkpoints are written.

plan = plan_pretrain(spec)            # vocab from the tokenizer spec (4,096 when bundled)
plan.shape, plan.params, plan.total_steps, plan.checkpoint_steps, plan.checkpoint_tokens
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from forgetlab.pretrain.families import Shape, families
from forgetlab.pretrain.sizing import check_shape, make_shape, shape_for_params
from forgetlab.pretrain.tokenizer import planned_vocab


@dataclass(frozen=True)
class PretrainPlan:
    shape: Shape
    params: int
    embedding_params: int
    vocab: int
    tokens_per_step: int
    total_steps: int
    checkpoint_steps: list[int]

    @property
    def checkpoint_tokens(self) -> list[int]:
        return [s * self.tokens_per_step for s in self.checkpoint_steps]


def model_shape(model, vocab: int) -> Shape:
    """The shape a model section asks for (explicit sizes, or the size helper's)."""
    family = families.get(model.family)
    if model.params is not None:
        shape = shape_for_params(
            family,
            model.params,
            vocab,
            model.context,
            experts=model.n_experts,
            top_k=model.k,
            head_dim=model.head_dim,
            aspect=model.aspect,
            layers=model.layers,
        )
    else:
        shape = make_shape(
            family,
            model.layers,
            model.hidden,
            heads=model.heads,
            kv_heads=model.kv_heads,
            intermediate=model.intermediate,
            experts=model.n_experts,
            top_k=model.k,
            head_dim=model.head_dim,
        )
    check_shape(family, shape)
    return shape


def checkpoint_steps(spec, tokens_per_step: int, total_steps: int) -> list[int]:
    """Steps of the checkpoints: `at` token counts, or 0 plus `count - 1` log-spaced counts
    from `first` (default tokens / 100) to the end; each rounded up to a whole step."""
    total = spec.train.tokens
    if spec.checkpoints.at is not None:
        targets = [*spec.checkpoints.at, total]
    else:
        first = min(spec.checkpoints.first or max(tokens_per_step, total // 100), total)
        targets = [0, *np.geomspace(first, total, spec.checkpoints.count - 1).tolist()]
    return sorted({min(total_steps, math.ceil(t / tokens_per_step - 1e-9)) for t in targets})


def plan_pretrain(spec, vocab: int | None = None) -> PretrainPlan:
    """The plan of `spec` (SpecError when the sizes do not make a model)."""
    vocab = vocab or planned_vocab(spec.tokenizer)
    family = families.get(spec.model.family)
    shape = model_shape(spec.model, vocab)
    params = family.count(shape, vocab, spec.model.context)
    tps = spec.train.batch_size * spec.train.seq_len * spec.train.grad_accum
    total_steps = math.ceil(spec.train.tokens / tps)
    return PretrainPlan(
        shape=shape,
        params=params,
        embedding_params=vocab * shape.hidden,
        vocab=vocab,
        tokens_per_step=tps,
        total_steps=total_steps,
        checkpoint_steps=checkpoint_steps(spec, tps, total_steps),
    )


def check_pretrain(spec) -> PretrainPlan:
    """Everything that can be checked without building the corpus or the model: the sizes,
    the steps, and that corpus files exist (DataError naming the file)."""
    from forgetlab.errors import DataError

    for path in getattr(spec.corpus, "paths", None) or []:
        if not path.is_file():
            raise DataError(f"corpus file {str(path)!r} does not exist")
    return plan_pretrain(spec)
