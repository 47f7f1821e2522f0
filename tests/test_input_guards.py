"""The accepting side of the input guards (issue 13): valid input that used to be refused or
misread is read right, warnings that are not errors, the opt-ins, the help and the version.
The refusing side is the bad-input battery (tests/test_bad_input.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import tomli_w

import forgetlab
from forgetlab.errors import SpecError
from forgetlab.models.fit import check_fit
from forgetlab.models.zoo import describe, load, skeleton
from forgetlab.spec import ModelSpec, load_spec, spec_from_dict
from forgetlab.streams.files_stream import read_records
from tests.conftest import cli, tiny_wordnet, toy_rows

COLS = ("text", "label", "task")


# -- command line -----------------------------------------------------------------------------
def test_bare_forgetlab_prints_the_help(capsys):
    code, out, err = cli(capsys)
    assert code == 0 and err == ""
    assert "Usage: forgetlab [OPTIONS] COMMAND" in out
    assert all(verb in out for verb in ("run", "validate", "sweep", "report", "probe"))


def test_version(capsys):
    code, out, err = cli(capsys, "--version")
    assert (code, out, err) == (0, f"forgetlab {forgetlab.__version__}\n", "")


def test_usage_error_names_the_command_to_ask_for_help(capsys):
    code, _, err = cli(capsys, "validate", "--sett", "x=1")
    assert code == 2
    assert err == "error: No such option: --sett (Possible options: --set) " \
        "(see `forgetlab validate --help`)\n"  # fmt: skip


# -- CSV and JSONL ----------------------------------------------------------------------------
def test_csv_saved_by_excel_with_a_bom_is_read(tmp_path: Path):
    path = tmp_path / "train.csv"
    path.write_bytes(
        b"\xef\xbb\xbftext,label,task\r\na goal,sports,leisure\r\na song,music,leisure\r\n"
    )
    records = read_records(path, *COLS)
    assert [(r.text, r.label, r.task) for r in records] == [
        ("a goal", "sports", "leisure"),
        ("a song", "music", "leisure"),
    ]
    assert [r.where for r in records] == [f"{path}:2", f"{path}:3"]


def test_csv_quoted_fields_keep_their_newlines_and_commas(tmp_path: Path):
    path = tmp_path / "train.csv"
    path.write_text(
        'text,label\n"a goal,\nthen a ball",sports\n\n"one\r\ntwo\nthree",music\nlast,music\n'
    )
    records = read_records(path, *COLS)
    assert [r.text for r in records] == ["a goal,\nthen a ball", "one\r\ntwo\nthree", "last"]
    assert [r.where.rsplit(":", 1)[1] for r in records] == ["2", "5", "8"]  # first line of each


def test_jsonl_lines_may_hold_unicode_line_separators(tmp_path: Path):
    texts = ["a goal\u2028and a ball", "a song\x85and a band", "a trip\u2029home", "form\x0cfeed"]
    path = tmp_path / "train.jsonl"
    path.write_text(
        "".join(json.dumps({"text": t, "label": "x"}, ensure_ascii=False) + "\n" for t in texts),
        encoding="utf-8",
    )
    records = read_records(path, *COLS)
    assert [r.text for r in records] == texts
    assert [r.where for r in records] == [f"{path}:{n}" for n in (1, 2, 3, 4)]


def test_spec_file_with_a_bom_is_read(tmp_path: Path):
    path = tmp_path / "exp.toml"
    path.write_bytes(b"\xef\xbb\xbf" + tomli_w.dumps(tiny_wordnet()).encode())
    assert load_spec(path).model.name == "tiny-bert"


def _files_spec(tmp_path: Path, train: list[dict], test: list[dict]) -> Path:
    for name, rows in (("train", train), ("test", test)):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    stream = {"kind": "files", "train": "train.jsonl", "test": "test.jsonl"}
    spec = tmp_path / "exp.toml"
    spec.write_text(tomli_w.dumps({"model": {"name": "tiny-bert"}, "stream": stream}))
    return spec


def test_test_texts_shared_with_the_train_file_are_a_warning(tmp_path: Path, capsys):
    train, test = toy_rows(6, seed=0), toy_rows(3, seed=1)
    test[:5] = [dict(r) for r in train[:5]]  # 5 of the 12 test texts leaked from training
    leaked = sum(r["text"] in {t["text"] for t in train} for r in test)
    code, out, err = cli(capsys, "validate", str(_files_spec(tmp_path, train, test)))
    assert code == 0 and out.rstrip().endswith(": ok")
    assert err == (
        f"warning: stream.test: {leaked} of the 12 texts of test file '{tmp_path / 'test.jsonl'}' "
        f"also appear in the train file '{tmp_path / 'train.jsonl'}'\n"
    )
    assert leaked >= 5


def test_a_test_file_identical_to_the_train_file_is_a_warning(tmp_path: Path, capsys):
    rows = toy_rows(6, seed=0)
    code, _, err = cli(capsys, "validate", str(_files_spec(tmp_path, rows, rows)))
    assert code == 0
    assert err.count("\n") == 1 and err.startswith("warning: stream.test: test file")
    assert f"holds the same {len(rows)} texts as the train file" in err


def test_disjoint_test_file_gives_no_warning(tmp_path: Path, capsys):
    train = toy_rows(6, seed=0)
    seen = {r["text"] for r in train}
    test = [r for r in toy_rows(6, seed=1) if r["text"] not in seen]
    code, _, err = cli(capsys, "validate", str(_files_spec(tmp_path, train, test)))
    assert code == 0 and err == ""


# -- model folders ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """A saved tiny-bert (safetensors) and the same weights as pickle only."""
    import torch
    from safetensors.torch import load_file

    root = tmp_path_factory.mktemp("models")
    backbone, tok, _ = load(ModelSpec(name="tiny-bert"))
    backbone.save_pretrained(root / "good")
    tok.save_pretrained(root / "good")
    shutil.copytree(root / "good", root / "pickle")
    torch.save(
        load_file(root / "pickle" / "model.safetensors"), root / "pickle" / "pytorch_model.bin"
    )
    (root / "pickle" / "model.safetensors").unlink()
    return root


def test_pickle_only_folder_loads_when_the_spec_opts_in(saved: Path):
    import torch

    with pytest.raises(forgetlab.ForgetlabError, match="model.allow_pickle = true"):
        describe(ModelSpec(name=str(saved / "pickle")))
    opted, _, mode = load(ModelSpec(name=str(saved / "pickle"), allow_pickle=True))
    good, _, _ = load(ModelSpec(name=str(saved / "good")))
    assert mode == "classifier"
    ref = good.state_dict()
    assert all(torch.equal(v, ref[k]) for k, v in opted.state_dict().items())


def test_custom_code_folder_passes_the_check_once_trusted(saved: Path, tmp_path: Path):
    folder = shutil.copytree(saved / "good", tmp_path / "custom")
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "auto_map": {"AutoModel": "m.M"}}))
    with pytest.raises(forgetlab.ForgetlabError, match="trust_remote_code = true"):
        describe(ModelSpec(name=str(folder)))
    assert describe(ModelSpec(name=str(folder), trust_remote_code=True)) == ("classifier", "local")


# -- the model fits the tokenizer and max_length ----------------------------------------------
def _fit(**changes) -> None:
    d = tiny_wordnet()
    for section, values in changes.items():
        d[section] = {**d.get(section, {}), **values}
    spec = spec_from_dict(d)
    backbone, tok = skeleton(spec.model)
    check_fit(backbone, tok, spec)


def test_fit_counts_a_prompt_methods_virtual_tokens():
    gpt2 = {"name": "tiny-gpt2"}
    _fit(model=gpt2, method={"kind": "prompt", "num_virtual_tokens": 20}, train={"max_length": 236})
    with pytest.raises(SpecError, match=r"max_length = 237 plus 20 virtual tokens .* 256 tokens"):
        _fit(
            model=gpt2,
            method={"kind": "prompt", "num_virtual_tokens": 20},
            train={"max_length": 237},
        )


def test_fit_accepts_the_limit_exactly_and_models_without_positions():
    _fit(train={"max_length": 256})  # tiny-bert: 256 positions
    _fit(model={"name": "tiny-bert", "config_overrides": {"vocab_size": 30522}})
    _fit(model={"name": "tiny-lstm"}, train={"max_length": 5000})  # an LSTM has no limit
    with pytest.raises(SpecError, match="limit of 256 tokens"):
        _fit(train={"max_length": 257})


# -- hub models offline -----------------------------------------------------------------------
def test_an_uncached_hub_model_is_a_note_at_validate_and_one_line_at_run(
    tmp_path: Path, capsys, monkeypatch
):
    """No network and no cache: `validate` says the model was not checked and what a run
    needs; `run` refuses in one line that names the three ways out, and writes nothing."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-cache"))
    d = tiny_wordnet()
    d["model"] = {"name": "forgetlab-tests/not-a-cached-model"}
    spec = tmp_path / "hub.toml"
    spec.write_text(tomli_w.dumps(d))
    code, out, _ = cli(capsys, "validate", str(spec))
    assert code == 0
    assert "was not checked" in out and "local directory" in out
    code, _, err = cli(capsys, "run", str(spec), "--out", str(tmp_path / "run"), "--quiet")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "not in the Hugging Face cache" in lines[0]
    assert "network" in lines[0] and "local directory" in lines[0]
    assert not (tmp_path / "run").exists()
