"""Pretraining corpora: documents for training and a held-out part for perplexity.

corpus = build_corpus(WordNetCorpusSpec())
corpus.train[:2], len(corpus.heldout), corpus.info

Kinds (registry `corpora`, one file each): `wordnet` (the bundled glosses and usage examples
of the WordNet stream's train pool only), `files` (local .txt / .jsonl), `hf` (a Hugging Face
dataset through `datasets.load_dataset`). The held-out part is fixed by a hash of each
document (not by the seed), so every rung and seed of a ladder is scored on the same text.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Annotated

from pydantic import Field

from forgetlab.errors import DataError
from forgetlab.registry import Registry

HeldoutFraction = Annotated[float, Field(gt=0, lt=0.5, allow_inf_nan=False)]
BUCKETS = 100_000


@dataclass(frozen=True)
class Corpus:
    """Training documents, held-out documents, and a JSON-able description."""

    train: list[str]
    heldout: list[str]
    info: dict = field(default_factory=dict)


def is_heldout(doc: str, fraction: float) -> bool:
    """A document is held out when its crc32 falls in the first `fraction` of the buckets."""
    return zlib.crc32(doc.encode()) % BUCKETS < round(fraction * BUCKETS)


def split_documents(docs: list[str], fraction: float, source: str, info: dict) -> Corpus:
    """Corpus from documents: empty ones dropped, the held-out share chosen by hash."""
    docs = [d for d in (d.strip() for d in docs) if d]
    train = [d for d in docs if not is_heldout(d, fraction)]
    heldout = [d for d in docs if is_heldout(d, fraction)]
    if not train or not heldout:
        raise DataError(
            f"corpus {source}: {len(docs)} documents leave "
            f"{'no training' if not train else 'no held-out'} documents "
            f"(heldout_fraction splits by a hash of each document); give more text"
        )
    return Corpus(
        train, heldout, {**info, "documents": len(docs), "heldout_documents": len(heldout)}
    )


corpora: Registry = Registry("corpus kind")

from forgetlab.pretrain.corpus import files, hf, wordnet  # noqa: E402, F401


def build_corpus(spec) -> Corpus:
    """The corpus a spec section describes (its `kind` picks the builder)."""
    return corpora.get(spec.kind).build(spec)


__all__ = ["Corpus", "build_corpus", "corpora", "is_heldout", "split_documents"]
