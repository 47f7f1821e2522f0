"""Picking a checkpoint of a pretraining run by tokens seen or step (model.name = the run
directory, model.revision = tokens=N | stepN | last), and what results.json records."""

from __future__ import annotations

import json

import pytest

from forgetlab.errors import ForgetlabError, SpecError
from forgetlab.models.zoo import describe, load
from forgetlab.pretrain import checkpoints, pretraining_info, resolve_model, select
from forgetlab.spec import ModelSpec


def test_select_by_tokens_step_or_last(ladder):
    run = ladder["gpt2"]
    assert [c.tokens for c in checkpoints(run)] == [0, 2048, 6144]
    assert select(run, None).tokens == 6144 and select(run, "last").tokens == 6144
    assert select(run, "tokens=2048").tokens == 2048
    assert select(run, "tokens=3000").tokens == 2048  # nearest: |3000-2048| < |3000-6144|
    assert select(run, "tokens=5000").tokens == 6144
    assert select(run, "tokens=1024").tokens == 0  # a tie goes to the fewer tokens
    assert select(run, "tokens=1_000_000").tokens == 6144
    assert select(run, "step8").tokens == 2048 and select(run, "step=0").tokens == 0
    with pytest.raises(SpecError, match=r"'main2' is not a checkpoint .* tokens 0, 2048, 6144"):
        select(run, "main2")


def test_model_name_and_revision_load_that_checkpoint(ladder):
    run = ladder["llama"]
    path, revision = resolve_model(str(run), "tokens=0")
    assert path.endswith("tokens-000000000000") and revision is None
    assert resolve_model("EleutherAI/pythia-70m", "step1000") == (
        "EleutherAI/pythia-70m",
        "step1000",
    )  # hub revisions go to the hub untouched
    spec = ModelSpec(name=str(run), revision="tokens=0")
    assert describe(spec) == ("text_to_text", "local")
    backbone, tok, mode = load(spec)
    weights = {n: p.clone() for n, p in backbone.named_parameters()}
    last, _, _ = load(ModelSpec(name=str(run)))
    assert mode == "text_to_text" and tok.pad_token == "<|pad|>"
    assert any(not (p == weights[n]).all() for n, p in last.named_parameters())
    body, _, mode = load(ModelSpec(name=str(run), mode="classifier"))
    assert mode == "classifier" and type(body).__name__ == "LlamaModel"


def test_pretraining_info_for_ladders_and_pythia(ladder):
    info = pretraining_info(str(ladder["moe"]), "tokens=2048")
    assert info["pretrain_tokens"] == 2048 and info["pretrain_step"] == 8
    ckpt = checkpoints(ladder["moe"])[0].path
    assert pretraining_info(str(ckpt), None)["pretrain_tokens"] == 0  # a checkpoint directory
    pythia = pretraining_info("EleutherAI/pythia-160m", "step143000")
    assert pythia["pretrain_tokens"] == 143000 * 2_097_152  # 1024 x 2048 tokens per step
    assert pretraining_info("Qwen/Qwen2.5-0.5B", None)["pretrain_tokens"] is None


def test_a_directory_without_checkpoints_is_an_error(tmp_path):
    (tmp_path / "checkpoints").mkdir()
    with pytest.raises(SpecError, match="has no checkpoint yet"):
        describe(ModelSpec(name=str(tmp_path)))
    with pytest.raises(ForgetlabError, match="has no config.json"):
        describe(ModelSpec(name=str(tmp_path / "checkpoints")))


def test_probe_checkpoints_along_pretraining(tmp_path, ladder, capsys):
    """`probe-checkpoints` with the run directory as model.name and tokens=N revisions."""
    import tomli_w

    from tests.pretrain.helpers import cli

    spec = {
        "model": {"name": str(ladder["lstm"]), "mode": "classifier"},
        "stream": {"kind": "wordnet-cil", "n_tasks": 2, "classes_per_task": 2,
                   "train_per_class": 12, "test_per_class": 6},
        "probe": {"probes": ["prototype"], "train_per_class": 6},
    }  # fmt: skip
    path = tmp_path / "probe.toml"
    path.write_text(tomli_w.dumps(spec))
    args = ["probe-checkpoints", str(path), "--out", str(tmp_path / "p")]
    for revision in ("tokens=0", "tokens=2048", "tokens=6144"):
        args += ["--checkpoint", revision]
    code, out, err = cli(capsys, *args)
    assert code == 0, err
    res = json.loads((tmp_path / "p" / "checkpoints.json").read_text())
    assert res["checkpoints"] == ["tokens=0", "tokens=2048", "tokens=6144"]
    assert res["layers"] == [0, 1, 2] and len(res["accuracy"]["prototype"]) == 3


def test_an_unfinished_run_is_not_its_last_checkpoint(ladder, tmp_path):
    """A run still pretraining (or killed) must not silently stand for its latest checkpoint;
    naming one explicitly still works."""
    import shutil

    run = tmp_path / "rung"
    shutil.copytree(ladder["gpt2"], run)
    results = json.loads((run / "results.json").read_text())
    assert results["status"] == "complete" and select(run, None).tokens == 6144
    (run / "results.json").write_text(json.dumps({**results, "status": "running"}))
    for revision in (None, "last"):
        with pytest.raises(
            SpecError,
            match=r"is not finished \(status 'running'; last checkpoint "
            r"at 6,144 tokens\).*model.revision = \"tokens=6144\"",
        ):
            select(run, revision)
    with pytest.raises(SpecError, match="is not finished"):
        describe(ModelSpec(name=str(run)))
    assert select(run, "tokens=6144").tokens == 6144 and select(run, "step8").tokens == 2048
