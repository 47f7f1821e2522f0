"""Lexical retrieval: Okapi BM25 (the `rank-bm25` package) over lower-cased word tokens.

    index = BM25Index(["The capital of Veltria is Orsk", ...])
    index.search("The capital of Veltria is", k=2, exclude={5})   # row numbers, best first

Ties keep the lower row first, so retrieval is deterministic.
"""

from __future__ import annotations

import re

import numpy as np

_WORD = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class BM25Index:
    def __init__(self, texts: list[str]) -> None:
        from rank_bm25 import BM25Okapi

        self.size = len(texts)
        # rank-bm25 divides by the mean document length: an empty text gets a placeholder
        self.bm25 = BM25Okapi([tokens(t) or ["\0"] for t in texts]) if texts else None

    def __len__(self) -> int:
        return self.size

    def search(self, query: str, k: int, exclude: frozenset[int] = frozenset()) -> list[int]:
        """Row numbers of the `k` best-scoring texts (not in `exclude`), best first."""
        if self.bm25 is None or k <= 0:
            return []
        scores = np.asarray(self.bm25.get_scores(tokens(query)), dtype=np.float64)
        order = np.argsort(-scores, kind="stable")
        return [int(i) for i in order if int(i) not in exclude][:k]
