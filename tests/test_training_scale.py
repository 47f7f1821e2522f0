"""Training at LLM scale on tiny models: accumulation, precision, checkpointing, step limits,
step logging, non-finite updates."""

from __future__ import annotations

import pytest
import torch

from forgetlab.spec import spec_from_dict
from forgetlab.train.encode import EncodeCache
from forgetlab.train.loop import NonFiniteLossError, train_stage
from forgetlab.train.stream import stage_context
from tests.conftest import loop

NO_DROPOUT = {
    "tiny-bert": {"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0},
    "tiny-gpt2": {"resid_pdrop": 0.0, "embd_pdrop": 0.0, "attn_pdrop": 0.0},
}


def spec(toy_files, model: str = "tiny-bert", **train):
    tr, te = toy_files
    return spec_from_dict(
        {
            "model": {"name": model, "config_overrides": NO_DROPOUT[model]},
            "stream": {"kind": "files", "train": str(tr), "test": str(te)},
            "train": {"epochs": 1, "lr": 3e-3, "batch_size": 16, "checkpoint": "none", **train},
        }
    )


def first_stage(s):
    learner, stream, strategies, stages = loop(s)
    next(stages)
    result = next(stages)
    return learner, result


@pytest.mark.parametrize("model", ["tiny-bert", "tiny-gpt2"])
def test_grad_accumulation_equals_the_big_batch(toy_files, model):
    big, r_big = first_stage(spec(toy_files, model))
    acc, r_acc = first_stage(spec(toy_files, model, grad_accum=4))
    assert r_big.stats.steps == r_acc.stats.steps == 5  # 80 examples / 16 per step
    assert r_acc.stats.tokens == r_big.stats.tokens
    diffs = [
        float((a - b).abs().max())
        for a, b in zip(big.state_dict().values(), acc.state_dict().values())
        if a.is_floating_point()
    ]
    assert max(diffs) < 2e-5
    assert r_acc.stats.mean_loss == pytest.approx(r_big.stats.mean_loss, rel=1e-5)
    # and the accumulation really happened: 4 micro-batches of 4 are not 1 batch of 16
    assert r_acc.stats.padded_tokens <= r_big.stats.padded_tokens


def test_bf16_autocast_trains_on_cpu(toy_files):
    fp32, r32 = first_stage(spec(toy_files))
    bf16, r16 = first_stage(spec(toy_files, precision="bf16"))
    assert all(torch.isfinite(p).all() for p in bf16.parameters())
    assert r16.stats.mean_loss == pytest.approx(r32.stats.mean_loss, rel=0.1)
    assert r16.stats.mean_loss != r32.stats.mean_loss  # autocast changed the arithmetic


def test_fp16_uses_a_grad_scaler_and_stays_finite(toy_files):
    learner, r = first_stage(spec(toy_files, precision="fp16"))
    assert r.stats.steps == 5 and all(torch.isfinite(p).all() for p in learner.parameters())


def test_model_dtype_loads_the_weights_in_bfloat16(toy_files):
    base = spec(toy_files)
    model = base.model.model_copy(update={"dtype": "bfloat16"})
    learner, r = first_stage(base.model_copy(update={"model": model}))
    assert {p.dtype for p in learner.backbone.parameters()} == {torch.bfloat16}
    assert r.stats.steps == 5


def test_gradient_checkpointing_gives_the_same_weights(toy_files):
    plain, _ = first_stage(spec(toy_files))
    ckpt, _ = first_stage(spec(toy_files, gradient_checkpointing=True))
    assert ckpt.backbone.is_gradient_checkpointing
    for a, b in zip(plain.parameters(), ckpt.parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_max_steps_and_step_logging(toy_files):
    s = spec(toy_files, epochs=3, max_steps=7, log_every=2)
    learner, stream, strategies, _ = loop(s)
    logged = []
    encode = EncodeCache(learner)
    ctx = stage_context(learner, stream, s.train, 0, s.seed, encode, torch.device("cpu"))
    stats = train_stage(ctx, strategies, None, lambda step, values: logged.append((step, values)))
    assert stats.steps == 7
    assert [step for step, _ in logged] == [2, 4, 6]
    assert all(v["loss"] > 0 and v["lr"] > 0 and v["tokens_per_s"] > 0 for _, v in logged)


def test_a_non_finite_update_fails_like_a_nan_loss(toy_files, monkeypatch):
    """An update that leaves a weight infinite (the loss of that step was still finite)."""
    s = spec(toy_files, max_steps=1)
    learner, stream, strategies, stages = loop(s)
    next(stages)
    real = torch.optim.AdamW.step

    def overflowing(self, *a, **k):
        out = real(self, *a, **k)
        with torch.no_grad():
            self.param_groups[0]["params"][0].fill_(float("inf"))
        return out

    monkeypatch.setattr(torch.optim.AdamW, "step", overflowing)
    with pytest.raises(NonFiniteLossError, match="non-finite in stage 0; lower train.lr"):
        next(stages)


def test_an_lr_the_optimizer_cannot_hold_is_a_spec_error(toy_files):
    from forgetlab.errors import SpecError

    with pytest.raises(SpecError, match="train.lr"):
        spec(toy_files, lr=1e39)


def test_qlora_without_cuda_is_one_line_at_validate(toy_files):
    from forgetlab.errors import ForgetlabError
    from forgetlab.validate import validate

    tr, te = toy_files
    s = spec_from_dict(
        {
            "model": {"name": "tiny-gpt2"},
            "method": {"kind": "lora", "quantize": "4bit"},
            "stream": {"kind": "files", "train": str(tr), "test": str(te)},
        }
    )
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ForgetlabError, match="QLoRA needs a CUDA GPU"):
        validate(s)
