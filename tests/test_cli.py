"""The command line end to end on tiny models: run, validate, ls, and bad input (exit 2)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
import tomli_w

from tests.conftest import (
    cli,  # noqa: F401
    tiny_wordnet,
)


def write_spec(path: Path, data: dict) -> Path:
    path.write_text(tomli_w.dumps(data))
    return path


def test_run_writes_the_run_directory(tmp_path: Path, capsys):
    spec = write_spec(tmp_path / "exp.toml", tiny_wordnet())
    out = tmp_path / "run"
    code, stdout, err = cli(
        capsys,
        "run",
        str(spec),
        "--out",
        str(out),
        "--quiet",
        "--set",
        "train.checkpoint=last",
        "--set",
        "stream.n_tasks=2",
    )
    assert code == 0, err
    assert "accuracy matrix" in stdout and "average_forgetting" in stdout
    res = json.loads((out / "results.json").read_text())
    assert res["status"] == "complete" and len(res["tasks"]) == 2
    assert len(res["accuracy_matrix"]) == 2 and len(res["initial_accuracy"]) == 2
    assert set(res["metrics"]) == {
        "average_accuracy",
        "learning_accuracy",
        "bwt",
        "average_forgetting",
        "fwt",
    }
    assert res["seed"] == 0 and res["versions"]["torch"].startswith("2.13")
    assert "commit" in res["git"] and res["wall_time_s"] > 0
    assert [s["stage"] for s in res["stages"]] == [0, 1]
    assert all(s["train_s"] > 0 and s["tokens"] <= s["padded_tokens"] for s in res["stages"])
    # the resolved spec, with the override applied
    assert "n_tasks = 2" in (out / "spec.toml").read_text()
    rows = list(csv.DictReader((out / "scores.csv").open()))
    acc = [r for r in rows if r["metric"] == "accuracy"]
    assert len(acc) == 2 + 2 * 2  # initial row + T x T
    r01 = next(r for r in acc if r["stage"] == "0" and r["task"] == res["tasks"][1])
    assert float(r01["value"]) == pytest.approx(res["accuracy_matrix"][0][1])
    assert (out / "checkpoints" / "last" / "trainable.safetensors").is_file()
    assert res["method"] == "full" and res["model"]["trainable_fraction"] == 1.0


def test_existing_run_dir_is_never_overwritten_without_flag(tmp_path: Path, capsys):
    spec = write_spec(tmp_path / "exp.toml", tiny_wordnet(n_tasks=1))
    out = tmp_path / "run"
    out.mkdir()
    (out / "results.json").write_text("precious")
    code, _, err = cli(capsys, "run", str(spec), "--out", str(out), "--quiet")
    assert code == 2 and "already exists" in err and "--overwrite" in err
    assert (out / "results.json").read_text() == "precious"
    # --overwrite replaces only a forgetlab run: this folder of user files is refused
    code, _, err = cli(capsys, "run", str(spec), "--out", str(out), "--quiet", "--overwrite")
    assert code == 2 and "not a forgetlab run" in err
    assert (out / "results.json").read_text() == "precious"
    run = tmp_path / "a-run"
    assert cli(capsys, "run", str(spec), "--out", str(run), "--quiet")[0] == 0
    code, _, err = cli(capsys, "run", str(spec), "--out", str(run), "--quiet", "--overwrite")
    assert code == 0, err
    assert json.loads((run / "results.json").read_text())["status"] == "complete"


def test_validate_formats_one_example_per_task(tmp_path: Path, capsys, toy_files):
    train, test = toy_files
    spec = write_spec(
        tmp_path / "exp.toml",
        {
            "model": {"name": "tiny-gpt2"},
            "stream": {"kind": "files", "train": str(train), "test": str(test)},
        },
    )
    code, out, err = cli(capsys, "validate", str(spec))
    assert code == 0, err
    assert "leisure" in out and "home" in out and "text_to_text" in out
    assert "Category: " in out and "ok" in out


def test_ls_lists_registries(capsys):
    code, out, _ = cli(capsys, "ls")
    assert code == 0
    for name in (
        "seq",
        "joint",
        "wordnet-cil",
        "wordnet-til",
        "files",
        "hf",
        "minilm",
        "tiny-gpt2",
        "average_forgetting",
    ):
        assert name in out


@pytest.mark.parametrize(
    ("spec", "sets", "message"),
    [
        ({"stream": {"kind": "wordnet-cil"}, "train": {"lrr": 1}}, [], "unknown key 'train.lrr'"),
        ({"stream": {"kind": "wordnet-cil"}}, ["train.epochs=x"], "train.epochs"),
        ({"stream": {"kind": "wordnet-cli"}}, [], "did you mean 'wordnet-cil'"),
        (
            {"stream": {"kind": "wordnet-cil"}, "model": {"name": "minilmm"}},
            [],
            "did you mean 'minilm'",
        ),
        (
            {"stream": {"kind": "wordnet-cil"}, "strategy": {"kind": "sqe"}},
            [],
            "did you mean 'seq'",
        ),
        ({"stream": {"kind": "files", "train": "missing.jsonl"}}, [], "does not exist"),
        ({"stream": {"kind": "wordnet-cil"}}, ["train.batch_size=0"], "greater than 0"),
        ({"stream": {"kind": "wordnet-cil"}}, ["train.lr=-1"], "greater than 0"),
        (
            {"stream": {"kind": "wordnet-cil"}, "model": {"name": "/no/such/dir/"}},
            [],
            "/no/such/dir/",
        ),
    ],
)
@pytest.mark.parametrize("verb", ["validate", "run"])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, verb, spec, sets, message):
    path = write_spec(tmp_path / "exp.toml", spec)
    out = tmp_path / "run"
    args = [verb, str(path)] + [a for s in sets for a in ("--set", s)]
    if verb == "run":
        args += ["--out", str(out), "--quiet"]
    code, stdout, err = cli(capsys, *args)
    assert code == 2
    assert message in err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert not out.exists()  # nothing written for bad input


def test_console_script_exit_code(tmp_path: Path):
    """The installed entry point itself (a subprocess, as a user runs it)."""
    exe = Path(sys.executable).parent / "forgetlab"
    res = subprocess.run(
        [str(exe), "validate", str(tmp_path / "nope.toml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 2
    assert res.stderr.strip() == f"error: spec file '{tmp_path / 'nope.toml'}' does not exist"
