"""Feature extraction: layers, pooling, the cache (counted reuse, disk), the eval callback."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from forgetlab.errors import SpecError
from forgetlab.probing import features
from forgetlab.probing.features import FeatureBlock, FeatureCache, FeatureExtractor, resolve_layers
from forgetlab.streams.task import Example
from tests.probing.helpers import run_eval, tiny


def block(n: int, layers=(0, 1), h: int = 4, seed: int = 0) -> FeatureBlock:
    rng = np.random.default_rng(seed)
    return FeatureBlock(
        np.arange(n, dtype=np.int64),
        np.arange(n, dtype=np.int64) % 2,
        {k: rng.normal(size=(n, h)).astype(np.float32) for k in layers},
    )


def test_cache_never_extracts_twice_and_reads_back_from_disk(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return block(6)

    uids = np.arange(6)
    cache = FeatureCache(tmp_path, signature="pooling=mean")
    first = cache.fetch(("stage_000", 0, "test"), uids, compute, [0, 1])
    again = cache.fetch(("stage_000", 0, "test"), uids, compute, [0, 1])
    assert (cache.extractions, cache.hits, len(calls)) == (1, 1, 1)
    np.testing.assert_array_equal(first.layer(1), again.layer(1))
    assert (tmp_path / "stage_000" / "task000_test.safetensors").is_file()
    # a new process (a resumed run) reads the block back instead of extracting
    later = FeatureCache(tmp_path, signature="pooling=mean")
    got = later.fetch(("stage_000", 0, "test"), uids, compute, [0, 1])
    assert (later.extractions, later.disk_reads, len(calls)) == (0, 1, 1)
    np.testing.assert_array_equal(got.layer(0), first.layer(0))
    # other pooling, other uids or a missing layer: not the same features, extracted again
    assert (
        FeatureCache(tmp_path, signature="pooling=cls").get(("stage_000", 0, "test"), uids) is None
    )
    assert later.get(("stage_000", 0, "test"), np.arange(5)) is None
    assert later.get(("stage_000", 0, "test"), uids, [0, 1, 2]) is None


def test_rows_follow_the_requested_uids():
    cache = FeatureCache()
    b = cache.fetch(("t", 0, "train"), np.array([4, 1]), lambda: block(6))
    np.testing.assert_array_equal(b.uids, [4, 1])
    np.testing.assert_array_equal(b.layer(0), block(6).layer(0)[[4, 1]])


def test_large_blocks_are_stored_as_float16(tmp_path, monkeypatch):
    monkeypatch.setattr(features, "AUTO_FLOAT16_BYTES", 100)  # 6 x 4 x 2 layers x 4 B = 192
    cache = FeatureCache(tmp_path)
    assert (
        cache.fetch(("t", 0, "test"), np.arange(6), lambda: block(6)).layers[0].dtype == np.float16
    )
    assert (
        cache.fetch(("t", 1, "test"), np.arange(2), lambda: block(2)).layers[0].dtype == np.float32
    )
    assert (
        FeatureCache(tmp_path, dtype="float32").get(("t", 0, "test"), np.arange(6)).layers[0].dtype
        == np.float16
    )


def test_layers_resolve_against_the_model():
    _, _, bert = tiny("tiny-bert")
    assert resolve_layers("all", bert.backbone) == [0, 1, 2]
    assert resolve_layers((-1, 0), bert.backbone) == [0, 2]
    with pytest.raises(
        SpecError, match=r"layer 5 is out of range; the model \(BertModel\) has 2 layers"
    ):
        resolve_layers((5,), bert.backbone)
    _, _, lstm = tiny("tiny-lstm")
    assert resolve_layers("all", lstm.backbone) == [2]  # no per-layer states: only the last
    with pytest.raises(SpecError, match="exposes only its last layer"):
        resolve_layers((0,), lstm.backbone)


def test_eval_pass_hands_over_the_same_features_as_a_separate_forward():
    _, stream, learner = tiny("tiny-bert")
    ex = FeatureExtractor(learner, [0, 1, 2], "mean", batch_size=7)
    got: dict[int, list[FeatureBlock]] = {}
    run_eval(
        learner,
        stream,
        -1,
        on_hidden=lambda t, b, h: got.setdefault(t, []).append(ex.from_hidden(b, h)),
    )
    assert sorted(got) == [0, 1]
    for t, task in enumerate(stream.tasks):
        from_eval = features.concat_blocks(got[t])
        direct = ex.extract(task.test).take(from_eval.uids)
        for k in (0, 1, 2):
            np.testing.assert_allclose(from_eval.layer(k), direct.layer(k), atol=1e-5)
        np.testing.assert_array_equal(from_eval.labels, direct.labels)


def test_extraction_is_frozen_and_restores_train_mode():
    _, stream, learner = tiny("tiny-bert")
    learner.train()
    out = FeatureExtractor(learner, [2], "cls", 8).extract(stream.tasks[0].test[:5])
    assert learner.training and out.layer(2).shape == (5, 64)
    assert all(p.grad is None for p in learner.parameters())


def test_causal_lm_features_see_the_prompt_not_the_label():
    _, stream, learner = tiny("tiny-gpt2")
    ex = stream.tasks[0].test[0]
    other = Example(ex.text, stream.tasks[1].classes[0], ex.task, uid=10**6)  # same text
    out = FeatureExtractor(learner, [0, 2], "last", 4).extract([ex, other])
    np.testing.assert_allclose(out.layer(2)[0], out.layer(2)[1], atol=1e-6)
    # and "last" is the last prompt token's state, not the mean
    mean = FeatureExtractor(learner, [2], "mean", 4).extract([ex])
    assert not np.allclose(mean.layer(2)[0], out.layer(2)[0])


def test_lstm_gives_its_last_layer():
    _, stream, learner = tiny("tiny-lstm")
    out = FeatureExtractor(learner, [2], "mean", 8).extract(stream.tasks[0].test[:3])
    assert out.layer(2).shape == (3, 64) and np.isfinite(out.layer(2)).all()
    with torch.inference_mode():
        batch = learner.collate([learner.encode(e) for e in stream.tasks[0].test[:1]])
        np.testing.assert_allclose(out.layer(2)[:1], learner.features(batch).numpy(), atol=1e-5)


def test_batches_never_mix_tasks_when_tasks_have_their_own_branch():
    _, stream, learner = tiny("tiny-bert", kind="wordnet-til")
    examples = [*stream.tasks[0].test, *stream.tasks[1].test]
    ex = FeatureExtractor(learner, [2], "mean", 64)
    assert any(len({e.task for e in b}) == 2 for b in ex._batches(examples))  # mixed: cheaper
    learner.router = lambda lrn, task_ids: None  # per-task routing, as `branch` installs
    batches = ex._batches(examples)
    assert all(len({e.task for e in b}) == 1 for b in batches)
    assert sorted(e.uid for b in batches for e in b) == sorted(e.uid for e in examples)
