"""EWC: the vmap Fisher equals a per-sample loop; the penalty is what the formula says."""

from __future__ import annotations

import torch

from forgetlab.models import build_learner
from forgetlab.spec import spec_from_dict
from forgetlab.strategies.per_sample import accumulate, per_sample_loop, task_loss
from forgetlab.streams import build_stream


def _setup(model: str, toy_files):
    train, test = toy_files
    spec = spec_from_dict(
        {
            "model": {"name": model},
            "stream": {"kind": "files", "train": str(train), "test": str(test)},
        }
    )
    stream = build_stream(spec.stream)
    learner = build_learner(spec, stream)
    learner.set_trainable(learner.stage_parameters(0))
    learner.eval()
    items = [learner.encode(e) for e in stream.tasks[0].train[:12]]
    batch = learner.collate(items)
    return learner, batch, stream.candidate_mask(0, batch.task_ids)


def test_vmap_fisher_equals_per_sample_loop(toy_files):
    for model in ("tiny-bert", "tiny-gpt2"):
        learner, batch, mask = _setup(model, toy_files)
        fisher = accumulate(learner, [(batch, mask)], torch.square, task_loss, chunk_size=4)
        params = {n: p.detach() for n, p in learner.named_parameters() if p.requires_grad}
        loop = per_sample_loop(learner, batch, mask, params)
        scale = max(float(v.abs().max()) for v in loop.values())
        for name, g in loop.items():
            expected = (g**2).mean(0)
            assert torch.allclose(fisher[name], expected, atol=1e-6 * scale**2, rtol=1e-4), name
        assert sum(float(v.sum()) for v in fisher.values()) > 0
        assert not any(v.requires_grad for v in fisher.values())  # no link to the live model


def test_penalty_matches_formula(toy_files):
    from forgetlab.strategies.ewc import EWC, EWCSpec

    learner, batch, mask = _setup("tiny-bert", toy_files)
    ewc = EWC(EWCSpec(lambda_=3.0))
    name, param = next((n, p) for n, p in learner.named_parameters() if p.requires_grad)
    imp = {name: torch.full_like(param, 2.0)}
    anchor = {name: param.detach().clone() - 0.5}
    ewc.terms_ = [(imp, anchor)]

    class Ctx:
        pass

    ctx = Ctx()
    ctx.learner = learner
    out = learner(batch, mask)
    value = ewc.penalty(ctx, batch, out)
    # lambda / 2 * sum(2 * 0.5^2) over the parameter's entries
    assert float(value) == torch.tensor(3.0 / 2 * 2 * 0.25 * param.numel()).item()


def test_vmap_fisher_with_padding_equals_loop():
    """Examples of very different lengths in one batch: padding must not leak into gradients."""
    spec = spec_from_dict(
        {
            "model": {"name": "tiny-bert"},
            "stream": {
                "kind": "wordnet-cil",
                "n_tasks": 1,
                "classes_per_task": 2,
                "train_per_class": 10,
                "test_per_class": 2,
            },
        }
    )
    stream = build_stream(spec.stream)
    for name in ("tiny-bert", "tiny-gpt2"):
        spec = spec.model_copy(update={"model": spec.model.model_copy(update={"name": name})})
        learner = build_learner(spec, stream)
        learner.set_trainable(learner.stage_parameters(0))
        learner.eval()
        items = sorted((learner.encode(e) for e in stream.tasks[0].train), key=lambda e: len(e.ids))
        batch = learner.collate([items[0], items[-1], items[1]])
        assert batch.attention_mask.sum(1).min() < batch.attention_mask.shape[1] / 2
        mask = stream.candidate_mask(0, batch.task_ids)
        fisher = accumulate(learner, [(batch, mask)], torch.square, task_loss)
        params = {n: p.detach() for n, p in learner.named_parameters() if p.requires_grad}
        loop = per_sample_loop(learner, batch, mask, params)
        scale = max(float(v.abs().max()) for v in loop.values())
        for n, g in loop.items():
            assert torch.allclose(fisher[n], (g**2).mean(0), atol=1e-6 * scale**2, rtol=1e-4), n


def test_word_embeddings_take_the_sparse_path_unless_tied(toy_files):
    """tiny-bert's word embedding goes through per-token rows (and the test above shows the
    Fisher equals the loop's); GPT-2 ties it to the LM head, so it stays dense."""
    from forgetlab.strategies.per_sample import sparse_embedding

    for model, sparse in (("tiny-bert", True), ("tiny-gpt2", False)):
        learner, _, _ = _setup(model, toy_files)
        params = {n: p for n, p in learner.named_parameters() if p.requires_grad}
        found = sparse_embedding(learner, params)
        assert (found is not None) == sparse, model
        if found:
            assert found[1].weight.shape[0] > 1000  # the vocabulary rows


def test_scatter_rows_matches_dense_per_sample_rows():
    from forgetlab.strategies.per_sample import scatter_rows

    torch.manual_seed(0)
    ids = torch.tensor([[1, 3, 1, 0], [2, 2, 2, 4]])
    delta = torch.randn(2, 4, 5)
    dense = torch.zeros(2, 6, 5)  # per-sample embedding gradients, written out
    for s in range(2):
        for t in range(4):
            dense[s, ids[s, t]] += delta[s, t]
    total = torch.zeros(6, 5)
    scatter_rows(total, ids, delta, torch.square)
    assert torch.allclose(total, (dense**2).sum(0), atol=1e-6)
