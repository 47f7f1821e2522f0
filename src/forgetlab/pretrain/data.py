"""Token blocks of a corpus and the order training reads them in.

tokens = tokenize(tokenizer, corpus)              # flat int32 arrays, EOS after each document
order = BlockOrder(n_blocks=len(tokens.train) // seq_len, seed=0)
order.indices(start=96, count=32)                 # the blocks of samples 96..127

Training sequences are the consecutive `seq_len`-token blocks of the training stream. Sample
k of the run is block perm_e[k mod n] of epoch e = k div n, where perm_e is a permutation
drawn by numpy's Generator seeded with (seed, e): the order is a pure function of the seed
and the sample index, so a resumed run reads exactly the batches the killed run would have.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forgetlab.errors import DataError

TOKENIZE_BATCH = 4096


@dataclass(frozen=True)
class TokenStreams:
    train: np.ndarray  # (N,) int32
    heldout: np.ndarray  # (M,) int32


def _flat(tokenizer, docs: list[str]) -> np.ndarray:
    eos = tokenizer.eos_token_id
    parts = []
    for start in range(0, len(docs), TOKENIZE_BATCH):
        ids = tokenizer(docs[start : start + TOKENIZE_BATCH], add_special_tokens=False)
        parts += [np.asarray([*row, eos], dtype=np.int32) for row in ids["input_ids"]]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)


def tokenize(tokenizer, corpus) -> TokenStreams:
    """Both parts of the corpus as flat token arrays, each document followed by EOS."""
    return TokenStreams(_flat(tokenizer, corpus.train), _flat(tokenizer, corpus.heldout))


def blocks(stream: np.ndarray, seq_len: int, what: str) -> np.ndarray:
    """(n, seq_len) view of the full blocks of a token stream."""
    n = len(stream) // seq_len
    if n == 0:
        raise DataError(
            f"corpus: the {what} part has {len(stream)} tokens, less than one sequence "
            f"of {seq_len}; give more text or a shorter train.seq_len"
        )
    return stream[: n * seq_len].reshape(n, seq_len)


class BlockOrder:
    """Which block each training sample reads (module docstring)."""

    def __init__(self, n_blocks: int, seed: int) -> None:
        self.n = n_blocks
        self.seed = seed
        self._perms: dict[int, np.ndarray] = {}

    def _perm(self, epoch: int) -> np.ndarray:
        if epoch not in self._perms:
            self._perms = {epoch: np.random.default_rng([self.seed, epoch]).permutation(self.n)}
        return self._perms[epoch]

    def indices(self, start: int, count: int) -> np.ndarray:
        """Block indices of samples start .. start + count - 1."""
        out = np.empty(count, dtype=np.int64)
        for i, k in enumerate(range(start, start + count)):
            out[i] = self._perm(k // self.n)[k % self.n]
        return out
