"""Every seed a run derives from its spec's `seed`, in one place.

    stage_seed(seed, stage)                 # shuffling and torch's RNG of stage `stage`
    derived_rng(seed, "strategy", stage, i) # an independent stream for one consumer

A stage's shuffling depends only on (seed, stage), so resuming at stage k, or adding a
strategy, never changes how the stage's data is ordered; every strategy (and any other
consumer of randomness) draws from its own generator, derived from the seed and a key that
names it.
"""

from __future__ import annotations

import hashlib
import random

STAGE_STRIDE = 1_000_003  # seed * STRIDE + stage: distinct for every (seed, stage) in range


def stage_seed(seed: int, stage: int) -> int:
    """The seed of stage `stage`: its batch shuffling and torch's global RNG (dropout)."""
    return seed * STAGE_STRIDE + stage


def derived_seed(seed: int, *keys: object) -> int:
    """A 63-bit seed for the consumer named by `keys` (e.g. "strategy", stage, index)."""
    text = ":".join([str(seed), *map(str, keys)])
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") >> 1


def derived_rng(seed: int, *keys: object) -> random.Random:
    """A `random.Random` seeded by `derived_seed(seed, *keys)`."""
    return random.Random(derived_seed(seed, *keys))
