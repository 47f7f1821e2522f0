"""A tiny pretraining run end to end: the run directory, checkpoints as Hugging Face model
directories that reload with identical logits, held-out perplexity, the CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

import forgetlab
from forgetlab.pretrain import pretrain_spec_from_dict
from forgetlab.pretrain import state as run_state
from tests.pretrain.helpers import cli, tiny_spec


def test_run_writes_checkpoints_that_reload_with_identical_logits(tmp_path, corpus, monkeypatch):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    probe = torch.randint(2, 500, (3, 20), generator=torch.Generator().manual_seed(1))
    seen: dict[int, torch.Tensor] = {}
    real = run_state.save_checkpoint

    def save_and_remember(root, model, tokenizer, info):  # the live model's logits
        model.eval()
        with torch.no_grad():
            seen[info["tokens"]] = model(input_ids=probe).logits.clone()
        return real(root, model, tokenizer, info)

    monkeypatch.setattr(run_state, "save_checkpoint", save_and_remember)
    spec = pretrain_spec_from_dict(tiny_spec(corpus, "llama"))
    result = forgetlab.pretrain(spec, out=tmp_path / "run")  # the package is callable
    res = result.results
    assert res.status == "complete" and res.kind == "pretrain"
    assert res.tokens_per_step == 256 and res.total_steps == 24 and res.tokens_seen == 6144
    assert [c.tokens for c in result.checkpoints] == [0, 2048, 6144] == sorted(seen)
    assert [c.step for c in result.checkpoints] == [0, 8, 24]
    assert not (tmp_path / "run" / "resume").exists()  # removed once complete
    for ckpt in result.checkpoints:
        files = {p.name for p in ckpt.path.iterdir()}
        assert {"model.safetensors", "config.json", "tokenizer.json", "pretrain.json"} <= files
        assert not any(p.suffix in (".bin", ".pt", ".pkl") for p in ckpt.path.iterdir())
        model = AutoModelForCausalLM.from_pretrained(ckpt.path)
        with torch.no_grad():
            assert torch.equal(model(input_ids=probe).logits, seen[ckpt.tokens])
        assert len(AutoTokenizer.from_pretrained(ckpt.path)) == res.vocab_size
    # held-out perplexity: exp of the loss; the untrained model is near the vocabulary size
    # (uniform guessing), training lowers it
    ppl = [c.heldout_ppl for c in res.checkpoints]
    assert all(c.heldout_ppl == pytest.approx(math.exp(c.heldout_loss)) for c in res.checkpoints)
    assert 0.8 * res.vocab_size < ppl[0] < 1.3 * res.vocab_size
    assert ppl[2] < ppl[1] < ppl[0]
    assert res.checkpoints[0].train_loss is None and res.checkpoints[2].train_loss < 6.0
    assert res.model.total_params == res.checkpoints[0].params
    assert res.metrics["heldout_ppl"] == ppl[-1] and res.tokens_per_s > 0
    assert [r.step for r in res.log] == [4, 8, 12, 16, 20, 24]
    info = json.loads((result.checkpoints[1].path / "pretrain.json").read_text())
    assert info["tokens"] == 2048 and info["heldout_ppl"] == ppl[1]


def test_the_held_out_loss_is_recomputed_from_the_checkpoint(tmp_path, ladder):
    """pretrain.json's held-out loss is the mean NLL of the saved model on the corpus's
    held-out blocks (same documents, same tokenizer)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from forgetlab.pretrain.corpus import build_corpus
    from forgetlab.pretrain.data import blocks, tokenize
    from forgetlab.pretrain.loop import heldout_loss
    from forgetlab.pretrain.spec import load_pretrain_spec

    run = ladder["gpt2"]
    spec = load_pretrain_spec(run / "spec.toml")
    last = forgetlab.pretrain.checkpoints(run)[-1]
    tok = AutoTokenizer.from_pretrained(last.path)
    held = blocks(tokenize(tok, build_corpus(spec.corpus)).heldout, 32, "held-out")[:32]
    loss, n = heldout_loss(AutoModelForCausalLM.from_pretrained(last.path), held, 32, "cpu")
    assert loss == last.info["heldout_loss"] and n == last.info["heldout_tokens"] == 32 * 31


def test_bf16_autocast_and_gradient_accumulation_run_on_cpu(tmp_path, corpus):
    spec = tiny_spec(
        corpus,
        "gpt2",
        train={"precision": "bf16", "grad_accum": 2, "batch_size": 4, "tokens": 2048},
        checkpoints={"at": [0]},
    )
    res = forgetlab.pretrain(pretrain_spec_from_dict(spec), out=tmp_path / "bf16").results
    assert res.tokens_per_step == 256 and res.total_steps == 8 and res.precision == "bf16"
    assert np.isfinite(res.metrics["heldout_ppl"])
    assert res.checkpoints[-1].heldout_ppl < res.checkpoints[0].heldout_ppl


def test_seeded_init_leaves_the_global_rng_alone(tmp_path, corpus):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    spec = tiny_spec(corpus, "lstm", train={"tokens": 512}, checkpoints={"at": [0]})
    forgetlab.pretrain(pretrain_spec_from_dict(spec), out=tmp_path / "a")
    assert torch.equal(torch.rand(3), expected)


def test_cli_dry_run_prints_the_plan_and_writes_nothing(tmp_path, corpus, capsys):
    import tomli_w

    path = tmp_path / "rung.toml"
    spec = tiny_spec(corpus, "moe", model={"experts": 4, "top_k": 2})
    path.write_text(tomli_w.dumps(spec))
    code, out, err = cli(capsys, "pretrain", str(path), "--dry-run", "--out", str(tmp_path / "o"))
    assert code == 0, err
    assert "moe:" in out and "experts 4, top-k 2" in out and "24 steps of 256 tokens" in out
    assert "0, 2,048, 6,144 tokens" in out
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"model": {"family": "gtp2"}}, "model.family: unknown model family 'gtp2'; did you mean"),
        ({"train": {"lrr": 1.0}}, "unknown key 'train.lrr'; did you mean 'lr'?"),
        ({"model": {"params": 10**6}}, "model: give params (a target) or hidden"),
        ({"model": {"hidden": 36, "heads": 5}}, "model.heads: 5 heads do not divide hidden 36"),
        ({"corpus": {"paths": ["/nonexistent/x.txt"]}}, "corpus file '/nonexistent/x.txt'"),
        ({"checkpoints": {"at": [10**9]}}, "error: checkpoints.at: 1000000000 is past"),
    ],
)
def test_bad_specs_are_one_line_errors_and_write_nothing(tmp_path, corpus, capsys, change, message):
    import tomli_w

    spec = tiny_spec(corpus, "llama", **change)
    path = tmp_path / "bad.toml"
    path.write_text(tomli_w.dumps(spec))
    code, out, err = cli(capsys, "pretrain", str(path), "--out", str(tmp_path / "o"))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_resume_flag_takes_the_spec_from_the_directory(tmp_path, capsys):
    code, _, err = cli(capsys, "pretrain", "x.toml", "--resume", str(tmp_path))
    assert code == 2 and "--resume DIR takes the spec from DIR/spec.toml" in err
    code, _, err = cli(capsys, "pretrain", "--resume", str(tmp_path))
    assert code == 2 and "is not a pretraining run directory" in err


def test_existing_directory_needs_overwrite(tmp_path, corpus):
    spec = tiny_spec(corpus, "gpt2", train={"tokens": 256}, checkpoints={"at": [0]})
    spec = pretrain_spec_from_dict(spec)
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(forgetlab.ForgetlabError, match="already exists"):
        forgetlab.pretrain(spec, out=out)
    assert (out / "keep.txt").read_text() == "x"


def test_tiny_ladder_paths_are_ordinary_directories(ladder):
    for family, run in ladder.items():
        res = json.loads((Path(run) / "results.json").read_text())
        assert res["model"]["family"] == family and res["status"] == "complete"


def test_gradient_accumulation_equals_the_big_batch(tmp_path, corpus):
    """2 micro-batches of 4 sequences per step = 1 batch of 8: the same samples per step, the
    mean of equal-sized micro-batch losses is the batch loss; weights agree to float error."""
    from safetensors.torch import load_file

    runs = {}
    for accum, batch in ((1, 8), (2, 4)):
        spec = tiny_spec(corpus, "gpt2", train={"grad_accum": accum, "batch_size": batch},
                         checkpoints={"at": [0]})  # fmt: skip
        res = forgetlab.pretrain(pretrain_spec_from_dict(spec), out=tmp_path / str(accum))
        last = res.checkpoints[-1].path / "model.safetensors"
        runs[accum] = (load_file(str(last)), res.results)
    (big, r1), (small, r2) = runs[1], runs[2]
    assert r1.tokens_per_step == r2.tokens_per_step == 256
    assert all(torch.allclose(big[k], small[k], atol=1e-5) for k in big)
    assert r2.checkpoints[-1].heldout_loss == pytest.approx(
        r1.checkpoints[-1].heldout_loss, abs=1e-4
    )
