"""Pronounceable fictional names from syllables ("Veltria", "Orsk"), unique within a stream.

names = NameMaker(random.Random(0))
names.new()            # 'Dravik'
names.new(lower=True)  # 'sorn'
"""

from __future__ import annotations

import random

ONSETS = "b d f g k l m n p r s t v z br dr gr kr pr tr st sk sp th sh ch".split() + ["", "", ""]
VOWELS = "a e i o u a e o ae ia ei ou".split()
CODAS = ["", "", "", "n", "r", "s", "l", "k", "x", "th", "sk", "nd", "rn"]
ENDINGS = ["", "", "", "ia", "or", "an", "is", "a", "um", "ek", "ov"]
MIN_LEN, MAX_LEN = 4, 9


class NameMaker:
    """Draws names from `rng`; never returns the same name twice (case-insensitively)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def _candidate(self) -> str:
        r = self.rng
        n_syllables = r.choice((1, 2, 2, 2, 3))
        parts = [r.choice(ONSETS) + r.choice(VOWELS) + r.choice(CODAS) for _ in range(n_syllables)]
        return "".join(parts) + r.choice(ENDINGS)

    def new(self, lower: bool = False) -> str:
        while True:
            name = self._candidate()
            if MIN_LEN <= len(name) <= MAX_LEN and name.lower() not in self.used:
                self.used.add(name.lower())
                return name.lower() if lower else name.capitalize()
