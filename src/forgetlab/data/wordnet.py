"""WordNet 3.0 synset glosses labelled with their lexicographer category.

The data file ``wordnet_glosses.tsv.gz`` is built by ``scripts/build_wordnet.py``
from the WordNet 3.0 database (see ``WORDNET_LICENSE`` next to this module).
"""

from __future__ import annotations

import csv
import functools
import gzip
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DATA_PATH",
    "LEXNAMES",
    "LICENSE_PATH",
    "TSV_HEADER",
    "WordNetGloss",
    "load_wordnet",
]

_HERE = Path(__file__).resolve().parent

DATA_PATH: Path = _HERE / "wordnet_glosses.tsv.gz"
LICENSE_PATH: Path = _HERE / "WORDNET_LICENSE"

TSV_HEADER: tuple[str, ...] = ("id", "label", "lemma", "gloss")

# Lexicographer file names indexed by file number 00..44 (``man 5WN lexnames``).
LEXNAMES: tuple[str, ...] = (
    "adj.all",  # 00
    "adj.pert",  # 01
    "adv.all",  # 02
    "noun.Tops",  # 03
    "noun.act",  # 04
    "noun.animal",  # 05
    "noun.artifact",  # 06
    "noun.attribute",  # 07
    "noun.body",  # 08
    "noun.cognition",  # 09
    "noun.communication",  # 10
    "noun.event",  # 11
    "noun.feeling",  # 12
    "noun.food",  # 13
    "noun.group",  # 14
    "noun.location",  # 15
    "noun.motive",  # 16
    "noun.object",  # 17
    "noun.person",  # 18
    "noun.phenomenon",  # 19
    "noun.plant",  # 20
    "noun.possession",  # 21
    "noun.process",  # 22
    "noun.quantity",  # 23
    "noun.relation",  # 24
    "noun.shape",  # 25
    "noun.state",  # 26
    "noun.substance",  # 27
    "noun.time",  # 28
    "verb.body",  # 29
    "verb.change",  # 30
    "verb.cognition",  # 31
    "verb.communication",  # 32
    "verb.competition",  # 33
    "verb.consumption",  # 34
    "verb.contact",  # 35
    "verb.creation",  # 36
    "verb.emotion",  # 37
    "verb.motion",  # 38
    "verb.perception",  # 39
    "verb.possession",  # 40
    "verb.social",  # 41
    "verb.stative",  # 42
    "verb.weather",  # 43
    "adj.ppl",  # 44
)
assert len(LEXNAMES) == 45


@dataclass(frozen=True, slots=True)
class WordNetGloss:
    """One WordNet synset.

    ``id`` is the pos letter (n, v, a, r) followed by the 8-digit synset offset,
    e.g. ``n00001740``; ``label`` is the lexicographer category, e.g. ``noun.animal``;
    ``lemma`` is the synset's first word (underscores replaced by spaces).
    """

    id: str
    label: str
    lemma: str
    gloss: str


def _missing(path: Path) -> FileNotFoundError:
    return FileNotFoundError(
        f"WordNet gloss file not found: {path}. Build it with `python scripts/build_wordnet.py`."
    )


def _read(path: Path) -> list[WordNetGloss]:
    if not path.is_file():
        raise _missing(path)
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header is None or tuple(header) != TSV_HEADER:
            raise ValueError(f"{path}: expected header {TSV_HEADER}, got {header}")
        rows = []
        for lineno, row in enumerate(reader, start=2):
            if len(row) != 4:
                raise ValueError(f"{path}:{lineno}: expected 4 fields, got {len(row)}")
            rows.append(WordNetGloss(*row))
    return rows


@functools.lru_cache(maxsize=1)
def _load_default() -> tuple[WordNetGloss, ...]:
    return tuple(_read(DATA_PATH))


def load_wordnet(path: Path | None = None) -> list[WordNetGloss]:
    """Return all WordNet 3.0 synsets (117,659 rows for the bundled file).

    Rows are ordered noun, verb, adj, adv, then by synset offset. The bundled file is
    parsed once and cached; each call returns a new list (the items are immutable).
    A ``path`` other than the default is read afresh on every call.
    """
    if path is None or Path(path).resolve() == DATA_PATH:
        return list(_load_default())
    return _read(Path(path))
