"""Deterministic text perturbations: the loss change they cause is a membership feature.

    perturb("The cat sat on the mat", "char_swap", seed=0)   # 'The cat sta on the mat'

A member's loss is low at its exact wording and rises under small edits; a non-member's loss
moves less (Maini et al. 2024 use NL-Augmenter's butter fingers, random deletion, case
change, whitespace and synonym substitution). Each perturbation is a pure function of the text
and a random.Random seeded by (seed, kind, text), so the same text always gets the same edit,
whichever set or batch it is in.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from forgetlab.registry import Registry

Perturbation = Callable[[str, random.Random], str]
perturbations: Registry[Perturbation] = Registry("perturbation")

_TOKEN = re.compile(r"^(\W*)(\w+)(\W*)$")  # leading punctuation, word, trailing punctuation


def _pick(eligible: list[int], rng: random.Random, rate: float) -> set[int]:
    """Each eligible position with probability `rate`, and at least one when there is one,
    so that a perturbation always changes a text it can change."""
    chosen = {i for i in eligible if rng.random() < rate}
    return chosen or ({rng.choice(eligible)} if eligible else set())


@perturbations.register("char_swap", help="swap two adjacent letters in 20% of the words")
def char_swap(text: str, rng: random.Random, rate: float = 0.2) -> str:
    words = text.split(" ")
    for i in sorted(_pick([i for i, w in enumerate(words) if len(set(w)) >= 2], rng, rate)):
        w = words[i]
        j = rng.choice([j for j in range(len(w) - 1) if w[j] != w[j + 1]])
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


@perturbations.register("word_deletion", help="delete 20% of the words (at least one is kept)")
def word_deletion(text: str, rng: random.Random, rate: float = 0.2) -> str:
    words = text.split()
    gone = _pick(list(range(len(words))) if len(words) > 1 else [], rng, rate)
    kept = [w for i, w in enumerate(words) if i not in gone]
    return " ".join(kept or words[:1])


@perturbations.register("case_change", help="flip the case of 25% of the letters")
def case_change(text: str, rng: random.Random, rate: float = 0.25) -> str:
    flip = _pick([i for i, c in enumerate(text) if c.isalpha()], rng, rate)
    return "".join(c.swapcase() if i in flip else c for i, c in enumerate(text))


@perturbations.register(
    "whitespace", help="remove 25% of the spaces and split 25% of the words with one"
)
def whitespace(text: str, rng: random.Random, rate: float = 0.25) -> str:
    words = text.split(" ")
    # edits: ("split", word i) or ("join", word i with the one before it)
    edits = [("split", i) for i, w in enumerate(words) if len(w) >= 2]
    edits += [("join", i) for i in range(1, len(words))]
    chosen = {edits[k] for k in _pick(list(range(len(edits))), rng, rate)}
    out = []
    for i, w in enumerate(words):
        if ("split", i) in chosen:
            j = rng.randrange(1, len(w))
            w = w[:j] + " " + w[j:]
        if i > 0:
            out.append("" if ("join", i) in chosen else " ")
        out.append(w)
    return "".join(out)


@perturbations.register("synonym", help="replace 50% of the words WordNet knows by a synonym")
def synonym(text: str, rng: random.Random, rate: float = 0.5) -> str:
    from forgetlab.data.synonyms import load_synonyms

    table = load_synonyms()
    words = text.split(" ")
    matches = [_TOKEN.match(w) for w in words]
    known = [i for i, m in enumerate(matches) if m and m[2].lower() in table]
    for i in sorted(_pick(known, rng, rate)):
        m = matches[i]
        new = rng.choice(table[m[2].lower()])
        if m[2][0].isupper():
            new = new[0].upper() + new[1:]
        words[i] = m[1] + new + m[3]
    return " ".join(words)


DEFAULT_PERTURBATIONS: tuple[str, ...] = (
    "char_swap",
    "word_deletion",
    "case_change",
    "whitespace",
    "synonym",
)


def perturb(text: str, kind: str, seed: int = 0) -> str:
    """`text` under the perturbation `kind`, the same for the same (text, kind, seed)."""
    return perturbations.get(kind)(text, random.Random(f"{seed}:{kind}:{text}"))
