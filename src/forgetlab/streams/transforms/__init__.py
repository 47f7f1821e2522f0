"""Data transforms: functions Stream -> Stream that change data properties, composable.

    [[transform]]              # in an experiment spec; a list applies in order
    kind = "duplicate"
    factor = 3

    stream = apply_transforms(build_stream(spec.stream), spec.transform, spec.seed)
    stream.name                # 'wordnet-cil+duplicate(3)'

Kinds: duplicate, near_duplicate, long_tail, imbalance, few_shot, sparsity, order,
prompt_design. Each is one module registered in `transforms`; each is deterministic given its
seed (the transform's `seed`, else the experiment's). Transforms never change the input
stream; added examples get new uids; test splits only change in `order` (renumbered) and in
`long_tail`/`imbalance` (test examples tagged head/torso/tail); `prompt_design` changes only
the prompt templates.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from forgetlab.streams.task import Stream
from forgetlab.streams.transforms.base import Transform, frequency_bucket, transforms

# Built-in transforms: one import line per module registers it.
from forgetlab.streams.transforms import duplicate as _duplicate  # noqa: E402,F401  isort: skip
from forgetlab.streams.transforms import few_shot as _few_shot  # noqa: E402,F401  isort: skip
from forgetlab.streams.transforms import imbalance as _imbalance  # noqa: E402,F401  isort: skip
from forgetlab.streams.transforms import long_tail as _long_tail  # noqa: E402,F401  isort: skip
from forgetlab.streams.transforms import near_duplicate as _near  # noqa: E402,F401  isort: skip
from forgetlab.streams.transforms import order as _order  # noqa: E402,F401  isort: skip
from forgetlab.streams.transforms import prompt_design as _prompt  # noqa: E402,F401  isort: skip
from forgetlab.streams.transforms import sparsity as _sparsity  # noqa: E402,F401  isort: skip

# Modules that hold shared code, not a transform of their own.
HELPER_MODULES = frozenset({"base", "frequency"})

__all__ = ["Transform", "apply_transforms", "build_transforms", "frequency_bucket", "transforms"]


def build_transforms(specs: Sequence) -> list[Transform]:
    """Transform objects for spec entries, in order (each knows its place for errors)."""
    return [transforms.get(s.kind)(s, where=f"transform.{i}") for i, s in enumerate(specs)]


def apply_transforms(stream: Stream, specs: Sequence, seed: int) -> Stream:
    """Apply the spec's transforms in order. Each draws from its own generator, seeded by
    its kind and its `seed` (or `seed` here, the experiment's), so adding a transform does not
    change the choices of the others."""
    for transform in build_transforms(specs):
        own = transform.spec.seed if transform.spec.seed is not None else seed
        stream = transform.apply(stream, random.Random(f"{transform.spec.kind}:{own}"))
    return stream
