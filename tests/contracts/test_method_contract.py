"""Contract over every registered fine-tuning method x {tiny encoder, tiny causal LM}.

Frozen parameters stay bit-for-bit unchanged and never receive gradients; something
trains; the checkpoint holds only trainable weights and loads back to the same predictions.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from forgetlab.methods import methods
from forgetlab.models import build_learner
from forgetlab.runs.checkpoint import WEIGHTS, load_trainable, save_trainable
from forgetlab.spec import spec_from_dict
from forgetlab.streams import build_stream
from forgetlab.train.encode import EncodeCache
from forgetlab.train.stream import train_stream

DEFAULTS = {"freeze": {"bottom": 1}}
MODELS = ["tiny-bert", "tiny-gpt2"]


def make(method: str, model: str, toy_files, seed: int = 0):
    train, test = toy_files
    spec = spec_from_dict(
        {
            "seed": seed,
            "model": {"name": model},
            "method": {"kind": method, **DEFAULTS.get(method, {})},
            "stream": {"kind": "files", "train": str(train), "test": str(test)},
            "train": {"epochs": 1, "lr": 1e-2, "batch_size": 16},
        }
    )
    stream = build_stream(spec.stream)
    return spec, stream, build_learner(spec, stream)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("method", methods.names())
def test_method_contract(method: str, model: str, toy_files, tmp_path: Path):
    spec, stream, learner = make(method, model, toy_files)
    learner.set_trainable(learner.stage_parameters(0))
    before = {n: p.detach().clone() for n, p in learner.named_parameters()}
    frozen = {n for n, p in learner.named_parameters() if not p.requires_grad}
    trainable = {n for n, p in learner.named_parameters() if p.requires_grad}
    assert trainable, "nothing trains"
    if method != "full":
        assert any("backbone" in n for n in frozen), "the backbone should be (partly) frozen"

    # gradients never reach frozen parameters
    encode = EncodeCache(learner)
    batch = learner.collate(encode(list(stream.tasks[0].train[:8])))
    out = learner(batch, stream.candidate_mask(0, batch.task_ids))
    out.loss.backward()
    params = dict(learner.named_parameters())
    assert all(params[n].grad is None for n in frozen)
    assert any(params[n].grad is not None and params[n].grad.abs().sum() > 0 for n in trainable)
    learner.zero_grad(set_to_none=True)

    stages = train_stream(learner, stream, [], spec.train, seed=spec.seed, encode=encode)
    next(stages), next(stages)  # before training, stage 0
    after = dict(learner.named_parameters())
    changed = [n for n in frozen if not torch.equal(before[n], after[n].detach())]
    assert not changed, f"frozen parameters changed: {changed[:3]}"
    assert any(not torch.equal(before[n], after[n].detach()) for n in trainable)

    # checkpoint: only what trains, and it loads back to the same predictions
    save_trainable(learner, tmp_path / "ckpt", {"stage": 0})
    from safetensors.torch import load_file

    saved = load_file(str(tmp_path / "ckpt" / WEIGHTS))
    assert set(saved) == trainable
    _, _, fresh = make(method, model, toy_files, seed=0)
    fresh.set_trainable(fresh.stage_parameters(0))
    load_trainable(fresh, tmp_path / "ckpt")
    learner.eval()
    fresh.eval()
    test_batch = learner.collate(encode(list(stream.tasks[0].test)))
    cands = stream.candidates(0, 0)
    with torch.inference_mode():
        assert torch.allclose(learner.scores(test_batch, cands), fresh.scores(test_batch, cands))
    if learner.backbone.__class__.__name__.startswith("Peft"):
        assert (tmp_path / "ckpt" / "adapter" / "adapter_model.safetensors").is_file()


@pytest.mark.parametrize("method", ["lora", "prompt", "adapter", "head"])
def test_methods_train_fewer_parameters(method: str, toy_files):
    _, _, full = make("full", "tiny-bert", toy_files)
    _, _, other = make(method, "tiny-bert", toy_files)
    full.set_trainable(full.stage_parameters(0))
    other.set_trainable(other.stage_parameters(0))
    n_full = sum(p.numel() for p in full.trainable_parameters())
    n_other = sum(p.numel() for p in other.trainable_parameters())
    assert 0 < n_other < n_full / 5
