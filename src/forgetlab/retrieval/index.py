"""Exact cosine nearest neighbours over the rows of a matrix, through faiss.

    index = CosineIndex(embeddings)            # (N, H) tensor
    sims, rows = index.search(queries, k=8)    # (Q, k) cosine similarities, (Q, k) row numbers

Rows and queries are L2-normalised, then `faiss.IndexFlatIP` (exhaustive inner product) gives
the exact top-k by cosine, best first; ties keep the lower row first. faiss runs with as many
OpenMP threads as torch (a sweep worker's share of the cores). A zero row stays zero (cosine 0
with everything).
"""

from __future__ import annotations

import numpy as np
import torch


def _faiss():
    import faiss

    faiss.omp_set_num_threads(max(1, torch.get_num_threads()))
    return faiss


def _normalised(x: torch.Tensor):
    faiss = _faiss()
    a = np.array(x.detach().to("cpu", torch.float32).numpy(), dtype=np.float32, order="C")
    faiss.normalize_L2(a)
    return a


class CosineIndex:
    """An exact cosine index over the rows of `vectors` (N, H); N may be 0."""

    def __init__(self, vectors: torch.Tensor) -> None:
        if vectors.dim() != 2:
            raise ValueError(f"expected (N, H) vectors, got shape {tuple(vectors.shape)}")
        faiss = _faiss()
        self.index = faiss.IndexFlatIP(int(vectors.shape[1]))
        if len(vectors):
            self.index.add(_normalised(vectors))

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @property
    def nbytes(self) -> int:
        """Bytes of the stored (normalised, float32) rows."""
        return len(self) * int(self.index.d) * 4

    def search(self, queries: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(Q, k') cosine similarities and row numbers of the k' = min(k, N) nearest rows."""
        k = min(k, len(self))
        if k == 0:
            empty = torch.empty(len(queries), 0)
            return empty, empty.long()
        sims, rows = self.index.search(_normalised(queries), k)
        return torch.from_numpy(sims), torch.from_numpy(rows).long()
