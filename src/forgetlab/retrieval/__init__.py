"""Memory outside the weights: what a memory keeps, how it embeds, how it retrieves.

- `store`: fill a replay memory with a selection policy (all, reservoir, class-balanced),
  optionally one item per key (the newest version of a fact), and keep one embedding row per
  stored item (reused for kept items, computed for new ones);
- `embed`: embeddings from the current model (a classifier's pooled features, a causal LM's
  prompt hidden states);
- `index`: exact cosine nearest neighbours (faiss `IndexFlatIP` on L2-normalised rows);
- `bm25`: lexical retrieval (Okapi BM25 from `rank-bm25`).

Used by the `knn` and `rag` strategies; indexes are rebuilt from stored embeddings or texts,
never saved.
"""
