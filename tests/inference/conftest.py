"""Shared pieces: one torch thread (tiny models), WordNet gloss sets, a tiny fine-tuned LM."""

from __future__ import annotations

import functools
import random

import pytest


@pytest.fixture(autouse=True, scope="package")
def _one_thread():
    """Tiny models run fastest on one thread, and the machine is shared."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@functools.lru_cache(maxsize=1)
def gloss_sets(n: int = 40) -> tuple[list[str], list[str], list[str]]:
    """(A, B, A2): three disjoint sets of n noun glosses drawn at random, same distribution."""
    from forgetlab.data.wordnet import load_wordnet

    glosses = sorted({g.gloss for g in load_wordnet() if g.label.startswith("noun.")})
    random.Random(0).shuffle(glosses)
    return glosses[:n], glosses[n : 2 * n], glosses[2 * n : 3 * n]


def finetune(model, tokenizer, texts: list[str], *, epochs: int, lr: float, seed: int):
    """Plain causal LM training on whole texts (AdamW, batches of 8, seeded order)."""
    import torch

    from forgetlab.inference.causal import token_ids

    rng = random.Random(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    for _ in range(epochs):
        order = list(range(len(texts)))
        rng.shuffle(order)
        for i in range(0, len(order), 8):
            batch = [token_ids(tokenizer, texts[j], 64) for j in order[i : i + 8]]
            width = max(map(len, batch))
            ids = torch.tensor([b + [tokenizer.pad_token_id] * (width - len(b)) for b in batch])
            mask = torch.tensor([[1] * len(b) + [0] * (width - len(b)) for b in batch])
            loss = model(
                input_ids=ids, attention_mask=mask, labels=ids.masked_fill(mask == 0, -100)
            ).loss
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model.eval()


def tiny_gpt2(seed: int):
    """A fresh random-init tiny-gpt2 and its tokenizer, built under `seed`."""
    import torch

    from forgetlab.models.zoo import load
    from forgetlab.spec.experiment import ModelSpec

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model, tokenizer, _ = load(ModelSpec(name="tiny-gpt2"))
    return model, tokenizer


@functools.cache
def trained_on_a(seed: int):
    """tiny-gpt2 (init `seed`) fine-tuned for 6 epochs on gloss set A."""
    import torch

    model, tokenizer = tiny_gpt2(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # dropout
        finetune(model, tokenizer, gloss_sets()[0], epochs=6, lr=3e-3, seed=seed)
    return model, tokenizer
