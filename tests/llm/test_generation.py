"""Batched generation with left padding equals one prompt at a time; sampling draws from its
own seeded generator."""

from __future__ import annotations

import torch

from forgetlab.eval.generation import generate_texts
from forgetlab.models.generative import GenerativeLearner
from forgetlab.models.zoo import load
from forgetlab.observers.evaluation import GenerationSpec
from forgetlab.spec import ModelSpec
from forgetlab.streams.task import Example, Stream


def tiny_learner(name: str) -> GenerativeLearner:
    torch.manual_seed(0)
    backbone, tok, _ = load(
        ModelSpec(name=name, config_overrides={"n_layer": 1} if name == "tiny-gpt2" else None)
    )
    stream = Stream("s", "generative", (), (), prompt="", info={"template": "plain"})
    return GenerativeLearner(backbone, tok, stream, max_length=64).eval()


PROMPTS = ["goal", "a much longer instruction about the team and the ball", "song band"]


def test_left_padded_batches_generate_what_single_prompts_do():
    for name in ("tiny-gpt2", "tiny-llama"):
        learner = tiny_learner(name)
        ids = [learner.prompt_ids(Example(t, -1, 0, i, target="x")) for i, t in enumerate(PROMPTS)]
        assert len({len(p) for p in ids}) == 3  # different lengths: padding matters
        kw = {"max_new_tokens": 6, "spec": GenerationSpec()}
        together = generate_texts(learner, ids, 0, batch_size=3, **kw)
        alone = [generate_texts(learner, [p], 0, batch_size=1, **kw)[0] for p in ids]
        assert together == alone, name
        assert all(len(learner.tokenizer(t)["input_ids"]) >= 1 for t in together)


def test_sampling_is_seeded_and_leaves_the_global_rng_alone():
    learner = tiny_learner("tiny-gpt2")
    ids = [learner.prompt_ids(Example(t, -1, 0, i, target="x")) for i, t in enumerate(PROMPTS)]
    spec = GenerationSpec(do_sample=True, temperature=1.5, top_k=50)
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    a = generate_texts(learner, ids, 0, max_new_tokens=8, batch_size=3, spec=spec, seed=1)
    assert torch.equal(torch.random.get_rng_state(), state)  # no draw from torch's global RNG
    b = generate_texts(learner, ids, 0, max_new_tokens=8, batch_size=3, spec=spec, seed=1)
    c = generate_texts(learner, ids, 0, max_new_tokens=8, batch_size=3, spec=spec, seed=2)
    greedy = generate_texts(learner, ids, 0, max_new_tokens=8, batch_size=3, spec=GenerationSpec())
    assert a == b  # same seed, same samples
    assert a != c and a != greedy  # another seed (or greedy) writes something else
