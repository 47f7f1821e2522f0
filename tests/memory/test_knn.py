"""`knn`: the interpolation equals a hand computation on planted embeddings, neighbours come
only from competing classes, the memory keeps its size, and it acts at prediction time:
with weight 1 and k = 1 the evaluated accuracy is the 1-nearest-neighbour accuracy of the
stored embeddings (computed here with scikit-learn)."""

from __future__ import annotations

import math

import pytest
import torch
from sklearn.neighbors import NearestNeighbors

from forgetlab.eval import evaluate
from forgetlab.eval.feature_cache import FrozenFeatureCache
from forgetlab.models.learner import Encoded
from forgetlab.retrieval.embed import embed
from forgetlab.retrieval.store import new_memory
from forgetlab.spec import spec_from_dict
from forgetlab.strategies.knn import KNN, KNNSpec, knn_mix
from forgetlab.train.encode import EncodeCache
from tests.conftest import loop, tiny_wordnet


def hand_mix(p_model, neighbours, weight, temperature, n):
    """log((1-w) p_model + w p_knn) with p_knn from (similarity, column) pairs."""
    z = [math.exp(s / temperature) for s, _ in neighbours]
    p_knn = [0.0] * n
    for (_, col), e in zip(neighbours, z):
        p_knn[col] += e / sum(z)
    mixed = [(1 - weight) * p + weight * q for p, q in zip(p_model, p_knn)]
    return [math.log(m) if m > 0 else -math.inf for m in mixed]


def test_mix_equals_a_hand_computation():
    scores = torch.tensor([[0.0, math.log(3.0), -1e9]])  # p_model = 0.25, 0.75, 0
    sims = torch.tensor([[0.9, 0.5, 0.4]])
    labels = torch.tensor([[7, 5, 7]])  # global class ids; candidates (5, 7, 9)
    got = knn_mix(scores, sims, labels, (5, 7, 9), weight=0.4, temperature=0.2)
    want = hand_mix([0.25, 0.75, 0.0], [(0.9, 1), (0.5, 0), (0.4, 1)], 0.4, 0.2, 3)
    assert got[0, :2].tolist() == pytest.approx(want[:2], rel=1e-6)
    assert got[0, 2].item() == -math.inf  # neither the model nor a neighbour: impossible


def planted_knn(k: int, weight: float = 0.5) -> KNN:
    """A kNN memory of 4 examples: two of class 0 near e1, one of class 1 near e2, one of
    class 3 (not a candidate below) right on the query."""
    knn = KNN(KNNSpec(k=k, weight=weight, temperature=0.5))
    knn.memory_ = new_memory("all")
    knn.memory_.items = [Encoded((1,), label, 0, uid) for uid, label in enumerate([0, 0, 1, 3])]
    knn.embeddings_ = torch.tensor([[1.0, 0.1], [1.0, -0.2], [0.0, 1.0], [0.6, 0.8]])
    knn.retrieval_s_ = [0.0]
    return knn


def test_readout_mixes_the_planted_neighbours():
    knn = planted_knn(k=2)
    query = torch.tensor([[0.6, 0.8]])  # cos: 0.678, 0.431, 0.8, (1.0 for class 3)
    scores = torch.tensor([[2.0, 0.0]])
    got = knn.readout(None, None, (0, 1), scores, query)
    cos = torch.nn.functional.cosine_similarity(query, knn.embeddings_).tolist()
    p = torch.softmax(scores, 1)[0].tolist()
    # the 2 nearest among classes 0 and 1: item 2 (class 1) then item 0 (class 0)
    want = hand_mix(p, [(cos[2], 1), (cos[0], 0)], 0.5, 0.5, 2)
    assert got[0].tolist() == pytest.approx(want, rel=1e-5)
    assert knn.retrieval_s_[0] > 0
    # class 3 competes now: the planted exact match is the only neighbour (k = 1)
    scores = torch.tensor([[2.0, 0.0, 1.0]])
    got = planted_knn(k=1, weight=1.0).readout(None, None, (0, 1, 3), scores, query)
    assert got[0].tolist() == [-math.inf, -math.inf, 0.0]


def test_readout_without_features_or_memory_is_the_models():
    assert planted_knn(k=1).readout(None, None, (0, 1), torch.zeros(1, 2), None) is None
    assert KNN(KNNSpec()).readout(None, None, (0, 1), torch.zeros(1, 2), torch.ones(1, 2)) is None
    assert planted_knn(k=1).readout(None, None, (4, 5), torch.zeros(1, 2), torch.ones(1, 2)) is None


def knn_spec(**strategy):
    d = tiny_wordnet(train_per_class=20, test_per_class=10)
    d["model"]["config_overrides"] = {"num_hidden_layers": 1}
    d["train"]["epochs"] = 1
    d["strategy"] = {"kind": "knn", **strategy}
    return spec_from_dict(d)


def test_memory_keeps_its_size_and_frozen_embeddings_stay():
    learner, stream, (knn,), stages = loop(knn_spec(memory_size=15, embeddings="frozen", k=3))
    first = None
    for r in stages:
        if r.stage < 0:
            continue
        assert len(knn.memory_) == 15 and knn.embeddings_.shape == (15, 64)
        if first is None:
            first = {e.uid: row.clone() for e, row in zip(knn.memory_.items, knn.embeddings_)}
        else:  # frozen: an example kept from stage 0 keeps its stage-0 embedding
            kept = [
                (e, row) for e, row in zip(knn.memory_.items, knn.embeddings_) if e.uid in first
            ]
            assert kept and all(torch.equal(row, first[e.uid]) for e, row in kept)
            now = embed(learner, [e for e, _ in kept])
            assert not torch.allclose(now, torch.stack([r for _, r in kept]))  # the model moved
    assert knn.summary()["stored"] == 15 and len(knn.summary()["retrieval_s"]) == 3


def test_weight_one_predicts_the_nearest_stored_label():
    """The readout acts in evaluation: R equals 1-NN accuracy over the stored embeddings."""
    learner, stream, (knn,), stages = loop(knn_spec(selection="all", k=1, weight=1.0))
    list(stages)
    last = len(stream.tasks) - 1
    scores = evaluate(learner, stream, last, EncodeCache(learner), batch_size=16)
    assert len(knn.memory_) == sum(len(t.train) for t in stream.tasks)  # "all"
    nn = NearestNeighbors(n_neighbors=1, metric="cosine").fit(knn.embeddings_.numpy())
    labels = torch.tensor([e.label for e in knn.memory_.items])
    for j, task in enumerate(stream.tasks):
        feats = embed(learner, [learner.encode(ex) for ex in task.test])
        _, idx = nn.kneighbors(feats.numpy())
        predicted = labels[torch.from_numpy(idx[:, 0])]
        want = (predicted == torch.tensor([ex.label for ex in task.test])).float().mean()
        assert scores[j].accuracy == pytest.approx(float(want))


def test_the_frozen_feature_cache_reads_out_the_same():
    """With a frozen backbone (method head) evaluation serves cached features: the kNN
    readout gets them and predicts exactly as the uncached path."""
    d = knn_spec(k=3, weight=0.7).model_dump(mode="json", exclude_none=True)
    d["method"] = {"kind": "head"}
    learner, stream, _, stages = loop(spec_from_dict(d))
    list(stages)
    assert learner.readout is not None
    cache = FrozenFeatureCache(learner)
    encode = EncodeCache(learner)
    for _ in range(2):  # the second pass serves every feature from the cache
        cached = evaluate(learner, stream, 2, encode, batch_size=8, cache=cache)
    plain = evaluate(learner, stream, 2, encode, batch_size=8)
    assert cache.reused_ > 0
    assert [s.correct for s in cached] == [s.correct for s in plain]
