"""`forgetlab audit` finds a planted change: a tiny GPT-2 fine-tuned on one task with its
embeddings and bottom block frozen differs from its base only in the top block, and only on
the task it was trained on."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch

import forgetlab
from forgetlab.audit import audit
from forgetlab.spec import spec_from_dict
from tests.conftest import cli

KEYWORDS = {
    "sports": ["goal", "team", "ball", "match"],
    "music": ["song", "guitar", "band", "melody"],
    "cooking": ["oven", "recipe", "bake", "spice"],
    "travel": ["flight", "hotel", "trip", "passport"],
}


def rows(labels: list[str], per_label: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    out = [
        {"text": f"{rng.choice(KEYWORDS[lab])} {rng.choice(KEYWORDS[lab])}", "label": lab}
        for lab in labels
        for _ in range(per_label)
    ]
    rng.shuffle(out)
    return out


def write(path: Path, data: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in data))
    return path


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    """A run that fine-tuned the top block (and head) of an untied tiny GPT-2 on sports vs
    music, and the suite files: that task and an untrained one (cooking vs travel)."""
    d = tmp_path_factory.mktemp("planted")
    write(d / "train.jsonl", rows(["sports", "music"], 40, 0))
    write(d / "leisure.jsonl", rows(["sports", "music"], 10, 1))
    write(d / "home.jsonl", rows(["cooking", "travel"], 10, 1))
    spec = spec_from_dict(
        {
            "name": "planted",
            "model": {
                "name": "tiny-gpt2",
                "config_overrides": {"n_embd": 32, "tie_word_embeddings": False},
            },
            "method": {"kind": "freeze", "bottom": 1},
            "stream": {
                "kind": "files",
                "train": str(d / "train.jsonl"),
                "test": str(d / "leisure.jsonl"),
            },
            "train": {
                "epochs": 20,
                "lr": 1e-2,
                "batch_size": 8,
                "warmup_ratio": 0.0,
                "max_length": 16,
                "checkpoint": "last",
            },
        }
    )
    run = forgetlab.run(spec, out=d / "run")
    assert run.accuracy_matrix[0, 0] >= 0.9 and run.initial_accuracy[0] <= 0.6  # learned
    (d / "suite.toml").write_text(
        "max_length = 32\nbootstrap = 400\n"
        "[text]\nmax_texts = 12\n"
        '[unseen]\ntasks = 0\nper_class = 10\nfiles = {leisure = "leisure.jsonl", home = "home.jsonl"}\n'
        '[probe]\ncategories = [["noun.animal", "noun.plant"]]\ntrain_per_class = 15\ntest_per_class = 10\n'
        "[examples]\ntop = 3\n"
    )
    return d


def test_audit_finds_the_planted_change_in_its_layers_and_task(planted):
    res = audit(
        "tiny-gpt2", str(planted / "run"), suite=str(planted / "suite.toml"), out=planted / "audit"
    ).results
    w = {x["name"]: x for x in res["weights"]}
    assert w["embeddings"]["relative_change"] == 0 and w["embeddings"]["changed_params"] == 0
    assert w["block 0"]["relative_change"] == 0  # frozen: the base's own weights
    assert w["block 1"]["relative_change"] > 0.01 and w["block 1"]["changed_params"] > 0
    cka = {c["layer"]: c for c in res["cka"]}
    assert cka[0]["value"] == pytest.approx(1) and cka[1]["value"] == pytest.approx(1)
    assert cka[2]["value"] < 0.95 and cka[2]["high"] < 0.999  # only after the tuned block
    leisure, home = res["unseen"]["leisure"], res["unseen"]["home"]
    assert leisure["tuned"] >= 0.9 and leisure["low"] > 0  # the trained task, beyond noise
    assert abs(home["difference"]) < leisure["difference"]
    text = " ".join(res["findings"])
    assert "layer 2 (after block 1)" in text and "Layers 0, 1 are unchanged" in text
    assert "block 1" in text and "unchanged: embeddings, block 0" in text
    assert res["probe"]["noun.animal+noun.plant"]["layers"][0]["difference"] == 0  # layer 0
    for task in res["probe"].values():
        for r in task["layers"]:
            assert r["base_low"] <= r["base"] <= r["base_high"]
    assert len(res["top_examples"]) == 3
    assert res["top_examples"][0]["increase"] >= res["top_examples"][-1]["increase"]
    out = planted / "audit"
    assert json.loads((out / "results.json").read_text())["kind"] == "audit"
    for fig in ("audit_layers", "audit_probes", "audit_general"):
        assert (out / "figures" / f"{fig}.png").is_file()
    assert "Findings" in (out / "report.html").read_text()


def test_audit_with_an_adapter_changes_only_the_adapted_block(tmp_path):
    from peft import LoraConfig, get_peft_model

    from forgetlab.models.zoo import load
    from forgetlab.spec import ModelSpec

    torch.manual_seed(0)
    backbone, _, _ = load(ModelSpec(name="tiny-gpt2"))
    config = LoraConfig(r=4, target_modules=["h.1.attn.c_attn"], init_lora_weights=False)
    get_peft_model(backbone, config).save_pretrained(str(tmp_path / "adapter"))
    suite = tmp_path / "suite.toml"
    suite.write_text(
        "bootstrap = 200\nmax_length = 32\n[text]\nmax_texts = 8\n[unseen]\ntasks = 1\n"
        "classes_per_task = 2\nper_class = 4\n[probe]\ntasks = 1\nclasses_per_task = 2\n"
        "train_per_class = 8\ntest_per_class = 6\n"
    )
    res = audit(
        "tiny-gpt2", adapter=str(tmp_path / "adapter"), suite=str(suite), out=tmp_path / "a"
    ).results
    moved = [x["name"] for x in res["weights"] if x["relative_change"] > 0]
    assert moved == ["block 1"]
    assert res["tuned"]["adapter"] == str(tmp_path / "adapter")
    assert [round(c["value"], 6) for c in res["cka"][:2]] == [1.0, 1.0]


def test_audit_cli(planted, capsys, tmp_path):
    code, out, err = cli(
        capsys, "audit", "tiny-gpt2", str(planted / "run"), "--suite", str(planted / "suite.toml"),
        "--out", str(tmp_path / "cli"),
    )  # fmt: skip
    assert code == 0, err
    assert "layer 2 (after block 1)" in out and "report.html" in out
    bad = tmp_path / "bad.toml"
    bad.write_text("[text]\nmax_textz = 3\n")
    code, out, err = cli(capsys, "audit", "tiny-gpt2", str(planted / "run"), "--suite", str(bad))
    assert code == 2 and err.strip().count("\n") == 0
    assert "unknown key 'text.max_textz'; did you mean 'max_texts'?" in err
    code, out, err = cli(capsys, "audit", "tiny-gpt2")
    assert code == 2 and "give TUNED" in err
    code, out, err = cli(capsys, "audit", "tiny-bert", "tiny-bert", "--out", str(tmp_path / "x"))
    assert code == 2 and "not a causal LM" in err and not (tmp_path / "x").exists()
