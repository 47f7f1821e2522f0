"""`wordnet`: the bundled WordNet glosses and their usage examples, train pool only.

[corpus]
kind = "wordnet"
exclude_categories = ["noun.animal"]   # or categories = [...] to keep only some
lemmas = true                          # documents read "lemma: definition; "example""

The WordNet streams put one gloss in five into a test pool fixed by a hash of the gloss
(`forgetlab.streams.wordnet_stream.in_test_pool`). This corpus never contains a test-pool
gloss: it takes only train-pool synsets; from them it drops every part (the definition or a
usage example: the gloss's '; '-separated segments) that also occurs in a test-pool gloss, and
every part and document in which a whole test-pool gloss appears as a run of words (case and
punctuation ignored: "emit a steady even light without flames" holds the noun gloss "a
steady even light without flames"). About 600 of 146,000 parts go.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from typing import Literal

from pydantic import Field, model_validator

from forgetlab.data.wordnet import LEXNAMES, load_wordnet
from forgetlab.pretrain.corpus import Corpus, HeldoutFraction, corpora, split_documents
from forgetlab.registry import did_you_mean
from forgetlab.spec.base import SpecModel
from forgetlab.streams.wordnet_stream import in_test_pool


class WordNetCorpusSpec(SpecModel):
    kind: Literal["wordnet"] = "wordnet"
    categories: list[str] | None = Field(
        None, description="keep only these lexicographer categories (default: all 45)"
    )
    exclude_categories: list[str] = Field(
        default_factory=list, description="leave these categories out (coverage studies)"
    )
    lemmas: bool = Field(True, description="start each document with its lemma: 'dog: a ...'")
    heldout_fraction: HeldoutFraction = Field(0.02, description="documents held out, by hash")

    @model_validator(mode="after")
    def _known(self) -> WordNetCorpusSpec:
        for name in [*(self.categories or []), *self.exclude_categories]:
            if name not in LEXNAMES:
                raise ValueError(
                    f"unknown WordNet category {name!r};"
                    f"{did_you_mean(name, list(LEXNAMES)) or ' see forgetlab.data.LEXNAMES'}"
                )
        return self


def segments(gloss: str) -> list[str]:
    """A gloss's definition and usage examples (its '; '-separated parts), stripped."""
    return [s.strip() for s in gloss.split("; ") if s.strip()]


_WORD = re.compile(r"\w+")


def words(text: str) -> tuple[str, ...]:
    """Lower-cased word tokens (punctuation dropped): what 'appears in' compares."""
    return tuple(_WORD.findall(text.lower()))


class GlossFinder:
    """Finds whether a text holds any of many glosses as a run of whole words: one pass over
    the text's positions, looking up the glosses that start with the words there."""

    def __init__(self, glosses: list[str]) -> None:
        self.short: set[tuple[str, ...]] = set()
        self.by_start: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
        for g in glosses:
            w = words(g)
            if 0 < len(w) < 3:
                self.short.add(w)
            elif w:
                self.by_start[w[:3]].append(w)

    def found_in(self, text: str) -> bool:
        w = words(text)
        for i in range(len(w)):
            if w[i : i + 1] in self.short or w[i : i + 2] in self.short:
                return True
            if any(w[i : i + len(g)] == g for g in self.by_start.get(w[i : i + 3], ())):
                return True
        return False


@functools.lru_cache(maxsize=2)
def _clean_documents(lemmas: bool) -> tuple[tuple[str, str], ...]:
    """(category, document) of every train-pool synset, test-pool text removed (module
    docstring); computed once per process."""
    rows = load_wordnet()
    test_glosses = [g.gloss for g in rows if in_test_pool(g.gloss)]
    test_parts = {s for g in test_glosses for s in segments(g)}
    finder = GlossFinder(test_glosses)

    def document(lemma: str, parts: list[str]) -> str:
        text = "; ".join(parts)
        return f"{lemma}: {text}" if lemmas else text

    out = []
    for g in rows:
        if in_test_pool(g.gloss):
            continue
        parts = [s for s in segments(g.gloss) if s not in test_parts]
        doc = document(g.lemma, parts) if parts else ""
        if parts and finder.found_in(doc):  # rare: keep the parts without a test gloss
            parts = [s for s in parts if not finder.found_in(s)]
            doc = document(g.lemma, parts) if parts else ""
            if doc and finder.found_in(doc):  # only across the joins: drop the synset
                doc = ""
        if doc:
            out.append((g.label, doc))
    return tuple(out)


def wordnet_documents(spec: WordNetCorpusSpec) -> list[str]:
    """One document per train-pool synset of the chosen categories (module docstring)."""
    keep = set(spec.categories) if spec.categories is not None else set(LEXNAMES)
    keep -= set(spec.exclude_categories)
    return [doc for label, doc in _clean_documents(spec.lemmas) if label in keep]


@corpora.register("wordnet", help="bundled WordNet glosses + usage examples, train pool only")
class WordNetCorpus:
    Spec = WordNetCorpusSpec

    @staticmethod
    def build(spec: WordNetCorpusSpec) -> Corpus:
        info = {"kind": "wordnet", "categories": sorted(spec.categories or []) or "all"}
        if spec.exclude_categories:
            info["excluded"] = sorted(spec.exclude_categories)
        return split_documents(wordnet_documents(spec), spec.heldout_fraction, "wordnet", info)
