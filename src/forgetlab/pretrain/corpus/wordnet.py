"""`wordnet`: the bundled WordNet glosses and their usage examples, train pool only.

[corpus]
kind = "wordnet"
exclude_categories = ["noun.animal"]   # or categories = [...] to keep only some
lemmas = true                          # documents read "lemma: definition; "example""

The WordNet streams put one gloss in five into a test pool fixed by a hash of the gloss
(`forgetlab.streams.wordnet_stream.in_test_pool`). This corpus never contains a test-pool
gloss: it takes only train-pool synsets, and from them drops every part (the definition or a
usage example, the gloss's '; '-separated segments) that also occurs in a test-pool gloss.
"""

from __future__ import annotations

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


def wordnet_documents(spec: WordNetCorpusSpec) -> list[str]:
    """One document per train-pool synset of the chosen categories (module docstring)."""
    rows = load_wordnet()
    test_parts = {s for g in rows if in_test_pool(g.gloss) for s in segments(g.gloss)}
    keep = set(spec.categories) if spec.categories is not None else set(LEXNAMES)
    keep -= set(spec.exclude_categories)
    docs = []
    for g in rows:
        if g.label not in keep or in_test_pool(g.gloss):
            continue
        parts = [s for s in segments(g.gloss) if s not in test_parts]
        if parts:
            text = "; ".join(parts)
            docs.append(f"{g.lemma}: {text}" if spec.lemmas else text)
    return docs


@corpora.register("wordnet", help="bundled WordNet glosses + usage examples, train pool only")
class WordNetCorpus:
    Spec = WordNetCorpusSpec

    @staticmethod
    def build(spec: WordNetCorpusSpec) -> Corpus:
        info = {"kind": "wordnet", "categories": sorted(spec.categories or []) or "all"}
        if spec.exclude_categories:
            info["excluded"] = sorted(spec.exclude_categories)
        return split_documents(wordnet_documents(spec), spec.heldout_fraction, "wordnet", info)
