"""Pooled test features of a frozen backbone, computed once and reused at every stage.

When the backbone does not change (method `head`, `seq_star` after its warm-up task, ...)
the pooled features of a test example are the same after every stage: only the heads move.
Filling the T x T accuracy matrix then needs one backbone pass over the test sets instead of
T + 1. The cache keys features by example uid and drops them all as soon as any backbone
weight or buffer changes (every in-place update bumps a tensor's version counter; a replaced
module has new tensors), so it can never serve stale features.

    cache = FrozenFeatureCache(learner) if FrozenFeatureCache.applies(learner) else None
    pred = (cache or learner).predict(batch, candidates)   # same predictions, fewer passes

Features are stored only while no backbone parameter requires grad (memory: test examples x
hidden size floats); otherwise `predict` is exactly `learner.predict`.
"""

from __future__ import annotations

from itertools import chain

import torch

from forgetlab.models.batch import Batch


class FrozenFeatureCache:
    """Wraps a classifier learner; `predict` has the signature of `Learner.predict`."""

    def __init__(self, learner) -> None:
        self.learner = learner
        self.features_: dict[int, torch.Tensor] = {}  # uid -> (H,) pooled features
        self.key_: tuple | None = None  # backbone fingerprint the features belong to
        self.computed_ = 0  # examples whose features were computed (backbone passes)
        self.reused_ = 0  # examples served from the cache

    @staticmethod
    def applies(learner) -> bool:
        """Classifier learners whose features depend on the input only (no per-task routing)."""
        return learner.mode == "classifier" and learner.router is None

    def backbone_frozen(self) -> bool:
        return not any(p.requires_grad for p in self.learner.backbone.parameters())

    def fingerprint(self) -> tuple | None:
        """Identity, storage and version of every backbone tensor; None if not trackable."""
        bb = self.learner.backbone
        try:
            return tuple(
                (id(t), t.data_ptr(), t._version) for t in chain(bb.parameters(), bb.buffers())
            )
        except RuntimeError:  # inference tensors have no version counter
            return None

    def _pooled(self, batch: Batch) -> torch.Tensor:
        """(B, H) features of `batch`: cached, or computed (and stored) for the whole batch."""
        uids = batch.uids.tolist()
        key = self.fingerprint() if self.applies(self.learner) and self.backbone_frozen() else None
        if key is None:
            self.features_.clear()
            self.key_ = None
            return self.learner.features(batch)
        if key != self.key_:
            self.features_.clear()
            self.key_ = key
        if all(u in self.features_ for u in uids):
            self.reused_ += len(uids)
            return torch.stack([self.features_[u] for u in uids])
        feats = self.learner.features(batch)
        self.computed_ += len(uids)
        for u, f in zip(uids, feats):
            self.features_[u] = f
        return feats

    @torch.inference_mode()
    def predict(self, batch: Batch, candidates: tuple[int, ...]) -> torch.Tensor:
        """(B,) predicted global class ids among `candidates`, as `learner.predict`."""
        learner = self.learner
        if not self.applies(learner):
            return learner.predict(batch, candidates)
        feats = self._pooled(batch)
        scores = learner.read_out(batch, candidates, learner.head_scores(feats, candidates), feats)
        best = scores.argmax(dim=1)  # (B,) over the (B, K) scores, after any readout
        return torch.tensor(candidates, device=best.device)[best]
