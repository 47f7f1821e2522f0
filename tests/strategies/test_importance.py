"""Importance estimation (EWC's Fisher, MAS's sensitivity): the batched layer-hook estimator
equals a per-example backward loop, chunked equals unchunked, and it leaves the model alone."""

from __future__ import annotations

from functools import cache

import pytest
import torch

from forgetlab.models import build_learner
from forgetlab.spec import spec_from_dict
from forgetlab.strategies.importance import ABS, SQUARE, accumulate
from forgetlab.strategies.layer_grads import plan
from forgetlab.strategies.per_sample import squared_output_norms, stacked_loop, task_losses

FISHER = (SQUARE, task_losses)
MAS = (ABS, squared_output_norms)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models: one torch thread (two threads on a shared, loaded machine spend most of
    their time in synchronisation)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@cache
def _stream():
    from forgetlab.streams import build_stream

    spec = spec_from_dict(
        {
            "model": {"name": "tiny-bert"},
            "stream": {
                "kind": "wordnet-cil",
                "n_tasks": 2,
                "classes_per_task": 2,
                "train_per_class": 8,
                "test_per_class": 2,
            },
        }
    )
    return spec, build_stream(spec.stream)


def setup(model: str, method: str | None = None):
    """A learner at stage 0 and two batches of very different lengths (padding inside)."""
    spec, stream = _stream()
    data = {"model": {"name": model}, "stream": {"kind": "wordnet-cil"}}
    if method:
        data["method"] = {"kind": method}
    other = spec_from_dict(data)
    learner = build_learner(
        spec.model_copy(update={"model": other.model, "method": other.method}), stream
    )
    learner.set_trainable(learner.stage_parameters(0))
    items = sorted((learner.encode(e) for e in stream.tasks[0].train), key=lambda e: len(e.ids))
    batches = []
    for chunk in ([items[0], items[-1], items[1], items[7]], [items[3], items[12], items[5]]):
        b = learner.collate(chunk)
        batches.append((b, stream.candidate_mask(0, b.task_ids)))
    assert batches[0][0].attention_mask.sum(1).min() < batches[0][0].input_ids.shape[1] / 2
    return learner, batches


def loop_reference(learner, batches, reduce, objective):
    params = {n: p for n, p in learner.named_parameters() if p.requires_grad}
    total = {n: torch.zeros_like(p, dtype=torch.float32) for n, p in params.items()}
    count = 0
    learner.eval()
    for b, m in batches:
        for n, g in stacked_loop(learner, b, m, params, objective).items():
            total[n] += reduce(g.clone()).sum(0)
        count += len(b)
    return {n: v / count for n, v in total.items()}


def assert_equal_importance(got, expected):
    scale = max(float(v.abs().max()) for v in expected.values())
    assert scale > 0
    for n, v in expected.items():
        assert torch.allclose(got[n], v, rtol=1e-4, atol=1e-6 * scale), n


@pytest.mark.parametrize("model", ["tiny-bert", "tiny-gpt2", "tiny-llama", "tiny-lstm"])
@pytest.mark.parametrize("kind", ["fisher", "mas"])
def test_importance_equals_per_example_loop(model, kind):
    """Every parameter, through the layer hooks or the per-example loop (tied GPT-2
    embedding, LSTM weights); mean over examples of squared (EWC) or absolute (MAS)
    per-sample gradients."""
    reduce, objective = FISHER if kind == "fisher" else MAS
    learner, batches = setup(model)
    got = accumulate(learner, batches, reduce, objective)
    assert_equal_importance(got, loop_reference(learner, batches, reduce, objective))


def test_chunked_equals_unchunked():
    """A budget of one byte (per-sample gradients one row at a time) and an unlimited one
    (a layer's whole weight at once) give the same importance."""
    learner, batches = setup("tiny-bert")
    for reduce, objective in (FISHER, MAS):
        small = accumulate(learner, batches, reduce, objective, budget=1)
        large = accumulate(learner, batches, reduce, objective, budget=1 << 40)
        for n in large:
            assert torch.allclose(small[n], large[n], rtol=1e-5, atol=1e-12), n


def test_methods_take_the_rules_or_the_loop():
    """LoRA's matrices are linear layers (hooks); IA3's scaling vectors are not (loop); both
    give the loop's numbers."""
    for method, fallback in (("lora", False), ("ia3", True)):
        learner, batches = setup("tiny-bert", method)
        params = {n: p for n, p in learner.named_parameters() if p.requires_grad}
        covered = plan(learner.eval(), *batches[0], params, task_losses)
        assert bool(covered.fallback) == fallback, method
        got = accumulate(learner, batches, *FISHER)
        assert_equal_importance(got, loop_reference(learner, batches, *FISHER))


def test_plan_on_known_models():
    """tiny-bert: every trainable parameter by the rules except the pooler, which the mean-
    pooled loss does not use; tiny-gpt2's word embedding is tied to the LM head: loop."""
    learner, batches = setup("tiny-bert")
    params = {n: p for n, p in learner.named_parameters() if p.requires_grad}
    covered = plan(learner.eval(), *batches[0], params, task_losses)
    assert covered.fallback == []
    assert sorted(covered.unused) == ["backbone.pooler.dense.bias", "backbone.pooler.dense.weight"]
    learner, batches = setup("tiny-gpt2")
    params = {n: p for n, p in learner.named_parameters() if p.requires_grad}
    assert plan(learner.eval(), *batches[0], params, task_losses).fallback == [
        "backbone.transformer.wte.weight"
    ]


def test_embedding_rows_of_unseen_tokens_are_zero():
    learner, batches = setup("tiny-bert")
    imp = accumulate(learner, batches, *FISHER)
    name = next(n for n in imp if "word_embeddings" in n)
    seen = torch.unique(torch.cat([b.input_ids[b.attention_mask.bool()] for b, _ in batches]))
    nonzero = imp[name].abs().sum(1).nonzero().flatten()
    assert set(nonzero.tolist()) <= set(seen.tolist())
    assert len(nonzero) > 0.8 * len(seen)  # and the seen rows do get importance


def test_leaves_grads_flags_and_mode_alone():
    learner, batches = setup("tiny-bert")
    learner.train()
    named = dict(learner.named_parameters())
    flags = {n: p.requires_grad for n, p in named.items()}
    marker = torch.full_like(named["heads.blocks.0.weight"], 7.0)
    named["heads.blocks.0.weight"].grad = marker.clone()
    imp = accumulate(learner, batches, *FISHER)
    assert learner.training
    assert {n: p.requires_grad for n, p in named.items()} == flags
    assert torch.equal(named["heads.blocks.0.weight"].grad, marker)
    assert all(p.grad is None for n, p in named.items() if n != "heads.blocks.0.weight")
    assert not any(v.requires_grad for v in imp.values())


def test_importance_in_the_parameters_dtype():
    learner, batches = setup("tiny-bert")
    learner.to(torch.bfloat16)
    imp = accumulate(learner, batches, *FISHER)
    assert {v.dtype for v in imp.values()} == {torch.bfloat16}
    ref = loop_reference(learner, batches, lambda g: g.float().square(), task_losses)
    total = sum(float(v.float().sum()) for v in imp.values())
    assert total == pytest.approx(sum(float(v.sum()) for v in ref.values()), rel=0.05)
