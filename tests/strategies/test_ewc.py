"""EWC: the true Fisher draws labels from the model (and converges to the expectation over
its predictive distribution), the empirical one uses the data's; the penalty is the formula."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest
import torch

from forgetlab.models import build_learner
from forgetlab.spec import spec_from_dict
from forgetlab.strategies.ewc import DRAW, EWC, EWCSpec, draw_labels, uniforms
from forgetlab.strategies.importance import SQUARE, accumulate
from forgetlab.strategies.per_sample import task_losses
from forgetlab.streams import build_stream
from forgetlab.train.encode import EncodeCache
from forgetlab.train.stream import stage_context


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models: one torch thread (two threads on a shared, loaded machine spend most of
    their time in synchronisation)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def setup(model: str, seed: int = 0):
    spec = spec_from_dict(
        {
            "model": {"name": model},
            "seed": seed,
            "stream": {
                "kind": "wordnet-cil",
                "n_tasks": 2,
                "classes_per_task": 3,
                "train_per_class": 4,
                "test_per_class": 2,
            },
        }
    )
    stream = build_stream(spec.stream)
    learner = build_learner(spec, stream)
    learner.set_trainable(learner.stage_parameters(0))
    ctx = stage_context(
        learner, stream, spec.train, 0, spec.seed, EncodeCache(learner), torch.device("cpu")
    )
    return ctx, list(stream.tasks[0].train[:4])


def test_draw_labels_follows_the_model_over_the_allowed_candidates():
    """Labels drawn at 20000 uids follow softmax(scores); a class scored -inf (not competing)
    is never drawn; the same (seed, uid) draws the same label."""
    n = 20000
    p = torch.tensor([0.6, 0.3, 0.1, 0.0])
    scores = p.log().expand(n, -1)
    candidates = torch.tensor([3, 5, 7, 9])
    u = uniforms(seed=1, uids=torch.arange(n))
    drawn = draw_labels(scores, candidates, u)
    freq = torch.tensor([(drawn == c).float().mean() for c in candidates])
    assert torch.allclose(freq, p, atol=0.012)
    assert torch.equal(drawn, draw_labels(scores, candidates, uniforms(1, torch.arange(n))))
    assert not torch.equal(drawn, draw_labels(scores, candidates, uniforms(2, torch.arange(n))))
    zero_first = torch.tensor([float("-inf"), 0.0, 0.0, 0.0]).expand(n, -1)
    assert 3 not in draw_labels(zero_first, candidates, torch.zeros(n)).tolist()


def exact_fisher(ctx, examples) -> dict[str, torch.Tensor]:
    """sum over candidates y of p(y | x) * g_y^2, averaged over the examples."""
    learner = ctx.learner.eval()
    total: dict[str, torch.Tensor] = {}
    for ex in examples:
        batch = learner.collate([learner.encode(ex)])
        mask = ctx.stream.candidate_mask(0, batch.task_ids)
        cands = mask[0].nonzero().flatten().tolist()
        with torch.no_grad():
            p = learner.scores(batch, tuple(cands)).softmax(-1)[0]
        for y, py in zip(cands, p.tolist()):
            one = learner.collate([learner.encode(dataclasses.replace(ex, label=y))])
            for n, v in accumulate(learner, [(one, mask)], SQUARE, task_losses).items():
                total[n] = total.get(n, 0) + py * v / len(examples)
    return total


def total(imp: dict[str, torch.Tensor]) -> float:
    return sum(float(v.double().sum()) for v in imp.values())


def test_true_fisher_converges_to_the_expectation_over_the_model():
    """A head biased to class 0 (p about 0.7): the true Fisher of a head bias entry c is
    E_y[(p_c - [y = c])^2] = p_c (1 - p_c); the empirical one, at the data's labels (half of
    them not class 0), is about twice as large."""
    ctx, examples = setup("tiny-bert")
    head = ctx.learner.heads.blocks[0]
    with torch.no_grad():
        head.bias.copy_(torch.tensor([2.0, 0.0, 0.0]))
    exact = exact_fisher(ctx, examples)
    batch = ctx.learner.collate(ctx.encode(examples))
    with torch.no_grad():
        p = ctx.learner.scores(batch, (0, 1, 2)).softmax(-1)
    assert float(p[:, 0].min()) > 0.6
    bias = "heads.blocks.0.bias"
    assert torch.allclose(exact[bias], (p * (1 - p)).mean(0), rtol=1e-4)
    sampled = EWC(EWCSpec(fisher_samples=300)).importance(ctx, examples)
    assert total(sampled) == pytest.approx(total(exact), rel=0.1)
    assert float(sampled[bias][0]) == pytest.approx(float(exact[bias][0]), rel=0.25)
    empirical = EWC(EWCSpec(fisher="empirical")).importance(ctx, examples)
    assert total(empirical) > 1.6 * total(exact)  # the two estimators differ here
    batches = EWC(EWCSpec()).importance_batches(ctx, examples)
    assert total(empirical) == pytest.approx(
        total(accumulate(ctx.learner, batches, SQUARE, task_losses)), rel=1e-6
    )


def test_true_fisher_draws_come_from_the_run_seed():
    ctx, examples = setup("tiny-bert", seed=0)
    a = EWC(EWCSpec()).importance(ctx, examples)
    ctx_again, _ = setup("tiny-bert", seed=0)
    ctx_again.learner.load_state_dict(ctx.learner.state_dict())
    b = EWC(EWCSpec()).importance(ctx_again, examples)
    assert all(torch.equal(a[n], b[n]) for n in a)
    other = dataclasses.replace(ctx_again, rng=__import__("random").Random(12345))
    c = EWC(EWCSpec()).importance(other, examples)
    assert any(not torch.equal(a[n], c[n]) for n in a)


def test_text_to_text_draws_label_words():
    """tiny-gpt2: a drawn batch is the prompt followed by the drawn class's label tokens."""
    ctx, examples = setup("tiny-gpt2")
    ewc = EWC(EWCSpec(fisher_samples=3))
    batches = ewc.importance_batches(ctx, examples)
    copies = [
        (dataclasses.replace(b, uids=b.uids + k * DRAW), m) for k in range(3) for b, m in batches
    ]
    drawn = ewc.relabelled(ctx, examples, copies, seed=0)
    assert sum(len(b) for b, _ in drawn) == 3 * len(examples)
    learner, classes = ctx.learner, ctx.stream.tasks[0].classes
    with torch.no_grad():
        p = {
            int(u): pu
            for b, _ in batches
            for u, pu in zip(b.uids, learner.scores(b, classes).softmax(-1).tolist())
        }
    for batch, _ in drawn:
        for uid, label, tgt in zip(batch.uids, batch.labels, batch.target_ids):
            assert tgt[tgt != -100].tolist() == learner.label_ids[int(label)]
            assert p[int(uid) % DRAW][classes.index(int(label))] > 1e-3  # one the model can say
    imp = ewc.importance(ctx, examples)
    assert total(imp) > 0


def test_penalty_matches_formula():
    ctx, _ = setup("tiny-bert")
    learner = ctx.learner
    ewc = EWC(EWCSpec(lambda_=3.0))
    name, param = next((n, p) for n, p in learner.named_parameters() if p.requires_grad)
    ewc.weight_ = {name: torch.full_like(param, 2.0)}
    ewc.center_ = {name: param.detach().clone() - 0.5}
    ewc.offset_ = 0.0
    out = SimpleNamespace(loss=torch.zeros(()))
    value = ewc.penalty(SimpleNamespace(learner=learner), None, out)
    # lambda / 2 * sum(2 * 0.5^2) over the parameter's entries
    assert float(value) == pytest.approx(3.0 / 2 * 2 * 0.25 * param.numel(), rel=1e-6)
