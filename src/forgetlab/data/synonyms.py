"""WordNet 3.0 synonyms of single words, for the `synonym` perturbation of dataset inference.

``wordnet_synonyms.tsv.gz`` (built by ``scripts/build_synonyms.py`` from Debian's
``wordnet-base``; licence in ``WORDNET_LICENSE``) maps 9,336 lowercase words to the other
single words of their most frequent sense, e.g. car -> auto, automobile, machine.
"""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

SYNONYMS_PATH: Path = Path(__file__).resolve().parent / "wordnet_synonyms.tsv.gz"


@functools.lru_cache(maxsize=1)
def load_synonyms() -> dict[str, tuple[str, ...]]:
    """word -> its synonyms (1 to 3, most frequent sense first), parsed once."""
    with gzip.open(SYNONYMS_PATH, "rt", encoding="utf-8") as f:
        header = f.readline().rstrip("\n")
        if header != "word\tsynonyms":
            raise ValueError(f"{SYNONYMS_PATH}: unexpected header {header!r}")
        table = {}
        for line in f:
            word, syns = line.rstrip("\n").split("\t")
            table[word] = tuple(syns.split(","))
    return table
