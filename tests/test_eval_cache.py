"""Feature caching for a frozen backbone: same predictions, one backbone pass over the tests."""

from __future__ import annotations

import torch

from forgetlab.eval import evaluate
from forgetlab.eval.feature_cache import FrozenFeatureCache
from forgetlab.models import build_learner
from forgetlab.spec import spec_from_dict
from forgetlab.streams import build_stream
from forgetlab.train.batching import eval_batches
from forgetlab.train.encode import EncodeCache
from forgetlab.train.stream import train_stream
from tests.conftest import tiny_wordnet

EVAL_BATCH = 16
HEAD_TRAIN = {"epochs": 3, "lr": 3e-2, "batch_size": 16, "checkpoint": "none"}


def setup(**spec):
    s = spec_from_dict({**tiny_wordnet(n_tasks=3, test_per_class=12), **spec})
    stream = build_stream(s.stream)
    learner = build_learner(s, stream)
    return s, stream, learner, EncodeCache(learner)


def count_backbone_calls(learner) -> list[int]:
    calls = [0]
    learner.backbone.register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    return calls


def accuracies(learner, stream, stage, encode, predict) -> list[float]:
    """One row of R, with `predict` (learner.predict or a cache's) on evaluate's batches."""
    learner.eval()
    row = []
    with torch.inference_mode():
        for j, task in enumerate(stream.tasks):
            cands = stream.candidates(stage, j)
            hits = 0
            for items in eval_batches(encode(list(task.test)), EVAL_BATCH):
                batch = learner.collate(items)
                hits += int((predict(batch, cands) == batch.labels).sum())
            row.append(hits / len(task.test))
    learner.train()
    return row


def fill_matrix(spec, stream, learner, encode, cache: FrozenFeatureCache):
    """Train every stage; after each (and before any) score with and without the cache."""
    plain, cached, reference = [], [], []
    for result in train_stream(learner, stream, [], spec.train, seed=spec.seed, encode=encode):
        stage = result.stage  # -1 (before training), then each trained stage
        plain.append(accuracies(learner, stream, stage, encode, learner.predict))
        cached.append(accuracies(learner, stream, stage, encode, cache.predict))
        scores = evaluate(learner, stream, stage, encode, EVAL_BATCH)
        reference.append([s.accuracy for s in scores])
    return plain, cached, reference


def test_frozen_backbone_features_are_computed_once_and_scores_are_identical():
    spec, stream, learner, encode = setup(method={"kind": "head"}, train=HEAD_TRAIN)
    cache = FrozenFeatureCache(learner)
    assert FrozenFeatureCache.applies(learner) and cache.backbone_frozen()
    n_test = sum(len(t.test) for t in stream.tasks)  # 3 tasks x 2 classes x 12
    assert n_test == 72
    calls = count_backbone_calls(learner)
    plain, cached, reference = fill_matrix(spec, stream, learner, encode, cache)
    assert cached == plain == reference  # identical R (initial row + 3 stages)
    # the heads learned on the frozen features: each new task above chance (0.5), rows move
    assert min(plain[i + 1][i] for i in range(3)) > 0.6 and plain[1] != plain[2]
    # 4 evaluations: the cache computed each test example once and served the other 3 times
    assert cache.computed_ == n_test and cache.reused_ == 3 * n_test
    # backbone passes: training 3 stages + 4 uncached evals + 4 evaluate() + 1 cached eval
    per_eval = sum(-(-len(t.test) // EVAL_BATCH) for t in stream.tasks)
    train_steps = 3 * 3 * -(-120 // 16)  # stages x epochs x batches of 120 examples
    assert calls[0] == train_steps + (4 + 4 + 1) * per_eval


def test_trainable_backbone_is_never_cached():
    spec, stream, learner, encode = setup()
    cache = FrozenFeatureCache(learner)
    assert not cache.backbone_frozen()
    plain, cached, reference = fill_matrix(spec, stream, learner, encode, cache)
    assert cached == plain == reference
    assert cache.computed_ == 0 and cache.reused_ == 0 and cache.features_ == {}


def test_a_changed_backbone_weight_drops_the_cached_features():
    _, stream, learner, encode = setup(method={"kind": "head"})
    cache = FrozenFeatureCache(learner)
    before = accuracies(learner, stream, 2, encode, cache.predict)
    assert cache.computed_ == 72 and cache.reused_ == 0
    with torch.no_grad():  # e.g. a checkpoint loaded into the frozen backbone
        emb = learner.backbone.get_input_embeddings().weight
        emb.mul_(-3.0)
    after = accuracies(learner, stream, 2, encode, cache.predict)
    assert cache.computed_ == 144 and cache.reused_ == 0  # recomputed, not served stale
    assert after == accuracies(learner, stream, 2, encode, learner.predict)
    assert len(before) == len(after) == 3
