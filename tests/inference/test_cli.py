"""`forgetlab infer` end to end on a saved fine-tuned tiny-gpt2, and its bad-input lines."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.conftest import cli, write_jsonl
from tests.inference.conftest import gloss_sets, tiny_gpt2, trained_on_a


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """A saved model trained on A, and A / B (never trained on) as JSONL."""
    root = tmp_path_factory.mktemp("infer")
    model, tok = trained_on_a(0)
    model.save_pretrained(root / "model")
    tok.save_pretrained(root / "model")
    a, b, _ = gloss_sets()
    return {
        "model": root / "model",
        "a": write_jsonl(root / "a.jsonl", [{"text": t} for t in a]),
        "b": write_jsonl(root / "b.jsonl", [{"text": t} for t in b]),
        "root": root,
    }


def test_infer_end_to_end(files, capsys):
    out = files["root"] / "di"
    code, stdout, err = cli(
        capsys, "infer", "--model", str(files["model"]), "--suspect", str(files["a"]),
        "--validation", str(files["b"]), "--out", str(out), "--reference", "tiny-gpt2",
        "--splits", "4",
    )  # fmt: skip
    assert code == 0, err
    assert stdout.splitlines()[0].startswith("TRAINED ON") and "at 20 examples" in stdout
    results = json.loads((out / "results.json").read_text())
    assert results["verdict"]["trained"] and results["verdict"]["p_value"] < 0.05
    assert [r["size"] for r in results["sizes"]] == [10, 20]  # 40 per set: 2 x 20 fit
    assert len(results["sizes"][0]["split_p_values"]) == 4
    assert results["auc"]["ref_diff"] < 0.3 and results["reference"] == "tiny-gpt2"
    assert results["versions"]["torch"] and results["suspect_file"] == str(files["a"])
    rows = list(csv.DictReader((out / "features.csv").open()))
    assert len(rows) == 80 and {r["set"] for r in rows} == {"suspect", "validation"}
    assert rows[0]["text"] == gloss_sets()[0][0] and "synonym_diff" in rows[0]
    html = (out / "report.html").read_text()
    assert "Dataset inference" in html and "data:image/png;base64," in html
    assert (out / "figures" / "p_values.png").is_file()


def test_false_positive_mode_is_not_significant(files, capsys):
    out = files["root"] / "fp"
    code, stdout, err = cli(
        capsys, "infer", "--model", str(files["model"]), "--validation", str(files["b"]),
        "--false-positive", "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    assert stdout.startswith("calibrated: p = ") and "were not told apart" in stdout
    results = json.loads((out / "results.json").read_text())
    assert results["false_positive"] and results["n_suspect"] == results["n_validation"] == 20
    assert not results["verdict"]["trained"]


def test_adapter_on_a_registered_model(files, capsys):
    """--adapter: a peft LoRA saved on tiny-gpt2 built with --init-seed (as a run would)."""
    from peft import LoraConfig, get_peft_model

    model, _ = tiny_gpt2(3)
    lora = get_peft_model(
        model, LoraConfig(r=2, target_modules=["c_attn"], init_lora_weights=False)
    )
    lora.save_pretrained(files["root"] / "adapter")
    out = files["root"] / "ad"
    code, stdout, err = cli(
        capsys, "infer", "--model", "tiny-gpt2", "--init-seed", "3", "--adapter",
        str(files["root"] / "adapter"), "--suspect", str(files["a"]), "--validation",
        str(files["b"]), "--out", str(out), "--size", "10", "--splits", "2",
    )  # fmt: skip
    assert code == 0, err
    results = json.loads((out / "results.json").read_text())
    assert results["adapter"].endswith("adapter") and [r["size"] for r in results["sizes"]] == [10]


def _bad(tmp: Path) -> dict[str, Path]:
    tmp.mkdir(exist_ok=True)
    return {
        "empty": write_jsonl(tmp / "empty.jsonl", []),
        "few": write_jsonl(tmp / "few.jsonl", [{"text": f"text {i}"} for i in range(12)]),
        "notjson": Path(tmp / "bad.jsonl"),
        "notext": write_jsonl(tmp / "notext.jsonl", [{"sentence": "a"}]),
    }


@pytest.mark.parametrize(
    "case, expected",
    [
        ("missing", "does not exist"),
        ("empty", "has no examples"),
        ("notjson", ":2: not JSON"),
        ("notext", ":1: expected an object with a string 'text' field"),
        ("few", "too few examples: 12 suspect and 40 validation"),
        ("model", "unknown model 'tiny-gtp2': did you mean 'tiny-gpt2'?"),
        ("encoder", "model 'tiny-bert' is an encoder without a classification head"),
        ("size", "too few examples for sample size 30"),
        ("adapter", "has no adapter_config.json"),
        ("exists", "exists; pass --overwrite"),
        ("alpha", "alpha must be between 0 and 1, got 1.5"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(files, tmp_path, capsys, case, expected):
    bad = _bad(tmp_path / "in")
    bad["notjson"].write_text('{"text": "ok"}\n{"text": \n')
    out = tmp_path / "out"
    args = {"--model": str(files["model"]), "--suspect": str(files["a"])}
    args |= {"--validation": str(files["b"]), "--out": str(out)}
    if case in ("missing", "empty", "notjson", "notext", "few"):
        args["--suspect"] = str(bad.get(case, tmp_path / "nope.jsonl"))
    elif case == "model":
        args["--model"] = "tiny-gtp2"
    elif case == "encoder":
        args["--model"] = "tiny-bert"
    elif case == "size":
        args["--size"] = "30"
    elif case == "alpha":
        args["--alpha"] = "1.5"
    elif case == "adapter":
        args["--adapter"] = str(tmp_path / "in")
    elif case == "exists":
        out.mkdir()
        (out / "results.json").write_text("{}")
    code, stdout, err = cli(capsys, "infer", *[x for kv in args.items() for x in kv])
    assert code == 2
    assert err.startswith("error: ") and expected in err and len(err.strip().splitlines()) == 1
    assert (
        not out.exists()
        or case == "exists"
        and sorted(p.name for p in out.iterdir()) == ["results.json"]
    )


def test_sequence_classifier_directory(tmp_path, capsys):
    """An encoder with a classification head, saved by transformers: JSONL rows need labels
    (names or ids); loss / confidence / margin features and their perturbation gaps."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from forgetlab.models.zoo import minilm_path

    tok = AutoTokenizer.from_pretrained(minilm_path())
    cfg = BertConfig(
        vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=64, num_labels=2, label2id={"neg": 0, "pos": 1},
        id2label={0: "neg", 1: "pos"},
    )  # fmt: skip
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        BertForSequenceClassification(cfg).save_pretrained(tmp_path / "clf")
    tok.save_pretrained(tmp_path / "clf")
    a, b, _ = gloss_sets()
    rows = lambda texts: [{"text": t, "label": ["neg", 1][i % 2]} for i, t in enumerate(texts)]  # noqa: E731
    sus = write_jsonl(tmp_path / "a.jsonl", rows(a))
    val = write_jsonl(tmp_path / "b.jsonl", rows(b))
    out = tmp_path / "di"
    code, stdout, err = cli(
        capsys, "infer", "--model", str(tmp_path / "clf"), "--suspect", str(sus),
        "--validation", str(val), "--out", str(out), "--size", "10", "--splits", "2",
    )  # fmt: skip
    assert code == 0, err
    results = json.loads((out / "results.json").read_text())
    assert results["mode"] == "classifier"
    assert {"loss", "confidence", "margin", "synonym_margin_diff"} <= set(results["features"])
    unlabelled = write_jsonl(tmp_path / "c.jsonl", [{"text": t} for t in a])
    code, _, err = cli(
        capsys, "infer", "--model", str(tmp_path / "clf"), "--suspect", str(unlabelled),
        "--validation", str(val), "--out", str(tmp_path / "x"),
    )  # fmt: skip
    assert code == 2 and "c.jsonl:1: a classifier needs a 'label' field" in err


def test_library_entry_point_with_lists_writes_nothing(files, tmp_path, monkeypatch):
    import forgetlab

    monkeypatch.chdir(tmp_path)
    a, b, _ = gloss_sets()
    res = forgetlab.infer(str(files["model"]), a, b, write=False, sizes=[10, 20], splits=3)
    assert res.out is None and list(tmp_path.iterdir()) == []
    assert res.results["verdict"]["trained"] and res.verdict.startswith("TRAINED ON")
    assert len(res.suspect_features) == 40 and res.suspect_features["text"][0] == a[0]
    assert res.results["suspect_file"] is None and res.results["sizes"][1]["size"] == 20
