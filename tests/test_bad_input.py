"""Bad input never loses work: malformed specs, data files, output and run directories.

Each case goes through the command line (`forgetlab.cli.main.main`, in process, with the
case's folder as the working directory) and must give exit code 2, exactly one line on stderr
naming the problem (a key substring is asserted), and change nothing on disk: the parent of
the case's folder (so also anything written next to it or through '..'), two pre-existing run
directories (one complete, one killed after its first stage) and a folder of saved models
hash the same before and after.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import tomli_w
import torch

import forgetlab.experiment as experiment
from forgetlab.runs import resume as resume_state
from forgetlab.spec import spec_from_dict
from tests.conftest import cli, tiny_wordnet, toy_rows


# -- the runs that must survive every case ----------------------------------------------------
def small_run_spec() -> dict:
    d = tiny_wordnet(n_tasks=2, train_per_class=20, test_per_class=5)
    d["train"].update({"epochs": 1})
    return d


class Killed(Exception):
    pass


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """A complete run (no checkpoints) and a run killed after stage 0 (resume state on disk)."""
    root = tmp_path_factory.mktemp("runs")
    spec = spec_from_dict(small_run_spec())
    experiment.run(spec, out=root / "complete")
    real = resume_state.save

    def save_then_die(path, stage, *args):
        real(path, stage, *args)
        raise Killed

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(resume_state, "save", save_then_die)
        with pytest.raises(Killed):
            experiment.run(spec, out=root / "killed")
    assert json.loads((root / "killed" / "results.json").read_text())["status"] == "running"
    return {"complete": root / "complete", "killed": root / "killed", "models": saved_models(root)}


def saved_models(root: Path) -> Path:
    """models/{good,remote,pickle,truncated}: a tiny BERT saved by transformers, then with
    custom code named in config.json, with pickle weights only, with safetensors cut short."""
    from safetensors.torch import load_file
    from transformers import AutoTokenizer, BertConfig, BertModel

    from forgetlab.models.zoo import minilm_path

    good = root / "models" / "good"
    cfg = BertConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=32, max_position_embeddings=128)  # fmt: skip
    BertModel(cfg).save_pretrained(good)
    AutoTokenizer.from_pretrained(minilm_path()).save_pretrained(good)
    for variant in ("remote", "pickle", "truncated"):
        shutil.copytree(good, good.parent / variant)
    remote = good.parent / "remote"
    config = json.loads((remote / "config.json").read_text())
    config["auto_map"] = {"AutoModel": "modeling_evil.EvilModel"}
    (remote / "config.json").write_text(json.dumps(config))
    (remote / "modeling_evil.py").write_text("raise SystemExit('custom code ran')\n")
    pickled = good.parent / "pickle"
    torch.save(load_file(pickled / "model.safetensors"), pickled / "pytorch_model.bin")
    (pickled / "model.safetensors").unlink()
    truncate(good.parent / "truncated" / "model.safetensors")
    return good.parent


def tree_hash(root: Path) -> str:
    """sha256 over every path below `root` (names, kinds, file bytes; FIFOs are not opened)."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        mode = p.lstat().st_mode
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes() if stat.S_ISREG(mode) else str(stat.S_IFMT(mode)).encode())
    return h.hexdigest()


# -- building inputs --------------------------------------------------------------------------
def toml(tmp: Path, data: dict | str | bytes, name: str = "exp.toml") -> Path:
    path = tmp / name
    if isinstance(data, dict):
        data = tomli_w.dumps(data)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def wordnet(**sections) -> dict:
    d = small_run_spec()
    for key, value in sections.items():
        d[key] = {**d[key], **value} if isinstance(d.get(key), dict) else value
    return d


def jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def files_spec(tmp: Path, train: bytes, test: bytes | None = None, ext=".jsonl", **stream):
    """A `files` spec on tiny-bert whose train (and test) file holds the given bytes."""
    (tmp / f"train{ext}").write_bytes(train)
    s = {"kind": "files", "train": str(tmp / f"train{ext}"), **stream}
    if test is not None:
        (tmp / f"test{ext}").write_bytes(test)
        s["test"] = str(tmp / f"test{ext}")
    return toml(tmp, {"model": {"name": "tiny-bert"}, "stream": s})


GOOD = toy_rows(6, seed=0)  # 2 tasks x 2 labels x 6 rows: text, label, task
GOOD_TEST = toy_rows(2, seed=1)


def validate(*args) -> Callable[[Path, dict], list[str]]:
    """A case running `forgetlab validate SPEC` on a spec built from `args`."""
    data, *sets = args
    return lambda tmp, runs: ["validate", str(toml(tmp, data)), *sets]


def killed_copy(tmp: Path, runs: dict, corrupt: Callable[[Path], None]) -> list[str]:
    """`forgetlab run --resume COPY` where COPY is the killed run with one file damaged."""
    copy = tmp / "killed"
    shutil.copytree(runs["killed"], copy)
    corrupt(copy / "resume" / (copy / "resume" / "LATEST").read_text().strip())
    return ["run", "--resume", str(copy), "--quiet"]


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 3)])


def run_spec(data: dict | str | bytes, out: bool = True) -> Callable[[Path, dict], list[str]]:
    """A case running `forgetlab run SPEC [--out case/run] --quiet`."""

    def args(tmp: Path, runs: dict) -> list[str]:
        return [
            "run",
            str(toml(tmp, data)),
            *(["--out", str(tmp / "run")] if out else []),
            "--quiet",
        ]

    return args


def sweep_file(tmp: Path, **fields) -> Path:
    return toml(tmp, {"name": "s", "base": small_run_spec(), **fields}, "sweep.toml")


def fifo(tmp: Path, name: str) -> Path:
    os.mkfifo(tmp / name)
    return tmp / name


def model_spec(runs: dict, folder: str) -> dict:
    return wordnet(model={"name": str(runs["models"] / folder)})


def csv_spec(tmp: Path, text: str, **stream) -> list[str]:
    return ["validate", str(files_spec(tmp, text.encode(), ext=".csv", **stream))]


def damaged_sweep_dir(tmp: Path) -> list[str]:
    """A sweep directory whose sweep.toml was cut short, run again into."""
    folder = tmp / "sweep"
    (folder / "cells").mkdir(parents=True)
    (folder / "sweep.toml").write_text('name = "s"\nbase = {name = "')
    return ["sweep", str(sweep_file(tmp)), "--out", str(folder), "--quiet"]


def existing(tmp: Path, name: str = "existing") -> str:
    (tmp / name).mkdir()
    return name  # relative: the case runs in `tmp`


DEEP = 5000
CSV_ROWS = "".join(f"{r['text']},{r['label']},{r['task']}\n" for r in GOOD)


@dataclass(frozen=True)
class Case:
    id: str
    args: Callable[[Path, dict], list[str]]  # (case folder, runs) -> CLI arguments
    message: str  # must appear in the one stderr line


def unwritable(tmp: Path, runs: dict) -> list[str]:
    locked = tmp / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    return ["run", str(toml(tmp, small_run_spec())), "--out", str(locked / "run"), "--quiet"]


CASES = [
    # specs
    Case("unknown-key", validate(wordnet(train={"lrr": 1})), "unknown key 'train.lrr'"),
    Case(
        "wrong-type",
        validate(wordnet(train={"epochs": "two"})),
        "train.epochs: input should be a valid",
    ),
    Case(
        "nan-lr",
        validate(wordnet(train={"lr": float("nan")})),
        "train.lr: input should be a finite",
    ),
    Case(
        "inf-weight-decay",
        validate(wordnet(train={"weight_decay": float("inf")})),
        "train.weight_decay: input should be a finite number",
    ),
    Case(
        "negative-epochs",
        validate(wordnet(train={"epochs": -1})),
        "train.epochs: input should be greater than 0",
    ),
    Case(
        "warmup-ratio-1.5",
        validate(wordnet(train={"warmup_ratio": 1.5})),
        "train.warmup_ratio: input should be less",
    ),
    Case(
        "zero-tasks",
        validate(wordnet(stream={"n_tasks": 0})),
        "stream.n_tasks: input should be greater",
    ),
    Case(
        "bad-stream-kind",
        validate(wordnet(stream={"kind": "wordnet-xil"})),
        "stream.kind: unknown stream kind 'wordnet-xil'",
    ),
    Case(
        "unknown-model", validate(wordnet(model={"name": "tiny-brt"})), "did you mean 'tiny-bert'"
    ),
    Case("unknown-strategy", validate(wordnet(strategy={"kind": "ewcc"})), "did you mean 'ewc'"),
    Case(
        "bad-strategy-field",
        validate(wordnet(strategy={"kind": "ewc", "lambda_": -1.0})),
        "strategy.0.lambda_: input should be greater than or equal to 0",
    ),
    Case(
        "misspelt-strategy-field",
        validate(wordnet(strategy={"kind": "ewc", "lamda_": 1.0})),
        "did you mean 'lambda_'",
    ),
    Case(
        "second-strategy-unknown",
        validate(wordnet(strategy=[{"kind": "er"}, {"kind": "nope"}])),
        "strategy.1.kind",
    ),
    Case(
        "unknown-category",
        validate(wordnet(stream={"classes": [["noun.animall"]]})),
        "unknown WordNet category 'noun.animall'",
    ),
    Case(
        "too-many-classes", validate(wordnet(stream={"n_tasks": 30})), "stream needs 60 categories"
    ),
    Case(
        "freeze-too-deep",
        validate(wordnet(method={"kind": "freeze", "bottom": 9})),
        "method.bottom: the model has 2 blocks",
    ),
    Case(
        "strategy-needs-causal-lm",
        validate(wordnet(strategy={"kind": "lamol"})),
        "'lamol' needs a causal LM",
    ),
    Case(
        "seed-out-of-range",
        validate(wordnet(seed=2**63 - 1)),
        "seed: input should be less than 4294967296",
    ),
    Case(
        "negative-seed",
        validate(wordnet(seed=-1)),
        "seed: input should be greater than or equal to 0",
    ),
    Case(
        "config-override-unknown",
        validate(wordnet(model={"name": "tiny-bert", "config_overrides": {"n_layer": 4}})),
        "model.config_overrides: ['n_layer'] are not fields of BertConfig",
    ),
    Case(
        "config-override-refused",
        validate(wordnet(model={"name": "tiny-bert", "config_overrides": {"hidden_size": 63}})),
        "is not a multiple of the number of attention heads",
    ),
    Case("invalid-toml", validate("name = \n"), "is not valid TOML"),
    Case("duplicate-toml-key", validate("name = 'a'\nname = 'b'\n"), "is not valid TOML"),
    Case("non-utf8-spec", validate(b"name = '\xff\xfe'\n"), "is not UTF-8"),
    Case("missing-spec", lambda tmp, runs: ["validate", str(tmp / "nope.toml")], "does not exist"),
    Case("spec-is-a-directory", lambda tmp, runs: ["validate", str(tmp)], "cannot be read"),
    Case(
        "set-without-equals", validate(small_run_spec(), "--set", "train.lr"), "expected KEY=VALUE"
    ),
    Case(
        "set-into-a-value", validate(small_run_spec(), "--set", "name.x=1"), "name is not a table"
    ),
    Case(
        "set-bad-number",
        validate(small_run_spec(), "--set", "train.lr=fast"),
        "train.lr: input should be a valid number",
    ),
    # data files
    Case(
        "missing-data-file",
        lambda tmp, runs: [
            "validate",
            str(toml(tmp, {"stream": {"kind": "files", "train": str(tmp / "no.jsonl")}})),
        ],
        "does not exist",
    ),
    Case(
        "wrong-columns",
        lambda tmp, runs: [
            "validate",
            str(
                files_spec(tmp, jsonl([{"sentence": r["text"], "label": r["label"]} for r in GOOD]))
            ),
        ],
        "missing column 'text'",
    ),
    Case("empty-file", lambda tmp, runs: ["validate", str(files_spec(tmp, b""))], "has no rows"),
    Case(
        "blank-lines-only",
        lambda tmp, runs: ["validate", str(files_spec(tmp, b"\n\n  \n"))],
        "has no rows",
    ),
    Case(
        "non-utf8-data",
        lambda tmp, runs: [
            "validate",
            str(files_spec(tmp, jsonl(GOOD) + b'{"text": "caf\xe9", "label": "music"}\n')),
        ],
        "is not UTF-8",
    ),
    Case(
        "jsonl-line-not-json",
        lambda tmp, runs: [
            "validate",
            str(files_spec(tmp, jsonl(GOOD[:3]) + b"{'text': 'single quotes'}\n")),
        ],
        ":4: invalid JSON",
    ),
    Case(
        "jsonl-line-not-object",
        lambda tmp, runs: ["validate", str(files_spec(tmp, jsonl(GOOD[:2]) + b'["a", "b"]\n'))],
        ":3: each line must be a JSON object",
    ),
    Case(
        "csv-without-header",
        lambda tmp, runs: [
            "validate",
            str(
                files_spec(
                    tmp, b"the goal of it,sports,leisure\nsong and a,music,leisure\n", ext=".csv"
                )
            ),
        ],
        "header",
    ),
    Case(
        "csv-header-only",
        lambda tmp, runs: ["validate", str(files_spec(tmp, b"text,label,task\n", ext=".csv"))],
        "has no rows",
    ),
    Case(
        "unsupported-extension",
        lambda tmp, runs: ["validate", str(files_spec(tmp, jsonl(GOOD), ext=".txt"))],
        "unsupported type '.txt'",
    ),
    Case(
        "label-outside-label-set",
        lambda tmp, runs: [
            "validate",
            str(files_spec(tmp, jsonl(GOOD), labels=["sports", "music", "travel"])),
        ],
        "label 'cooking'",
    ),
    Case(
        "test-label-unknown-to-task",
        lambda tmp, runs: [
            "validate",
            str(
                files_spec(
                    tmp,
                    jsonl(GOOD),
                    jsonl([{"text": "a ball", "label": "chess", "task": "leisure"}] + GOOD_TEST),
                )
            ),
        ],
        "label 'chess'",
    ),
    Case(
        "duplicate-task-names",
        lambda tmp, runs: [
            "validate",
            str(files_spec(tmp, jsonl(GOOD), task_order=["leisure", "leisure"])),
        ],
        "duplicate task names ['leisure']",
    ),
    Case(
        "label-in-two-tasks",
        lambda tmp, runs: [
            "validate",
            str(files_spec(tmp, jsonl(GOOD + [{**GOOD[0], "task": "home"}]))),
        ],
        "appears in tasks 'leisure' and 'home'",
    ),
    Case(
        "some-rows-without-task",
        lambda tmp, runs: [
            "validate",
            str(files_spec(tmp, jsonl(GOOD + [{"text": "a b", "label": "music"}]))),
        ],
        "missing task value",
    ),
    Case(
        "task-without-test-examples",
        lambda tmp, runs: [
            "validate",
            str(
                files_spec(
                    tmp, jsonl(GOOD), jsonl([r for r in GOOD_TEST if r["task"] == "leisure"])
                )
            ),
        ],
        "task 'home' has no test examples",
    ),
    Case(
        "n-tasks-beyond-data",
        lambda tmp, runs: ["validate", str(files_spec(tmp, jsonl(GOOD), n_tasks=5))],
        "n_tasks = 5 but the data has 2",
    ),
    Case(
        "task-order-unknown-task",
        lambda tmp, runs: [
            "validate",
            str(files_spec(tmp, jsonl(GOOD), task_order=["leisure", "work"])),
        ],
        "task_order names tasks not in the data: ['work']",
    ),
    # output
    Case(
        "existing-run-dir",
        lambda tmp, runs: [
            "run",
            str(toml(tmp, small_run_spec())),
            "--out",
            str(runs["complete"]),
            "--quiet",
        ],
        "already exists",
    ),
    Case(
        "out-is-a-file",
        lambda tmp, runs: [
            "run",
            str(toml(tmp, small_run_spec())),
            "--out",
            str(toml(tmp, "x", "file.txt")),
            "--quiet",
        ],
        "exists and is not a directory",
    ),
    Case(
        "out-below-a-file",
        lambda tmp, runs: [
            "run",
            str(toml(tmp, small_run_spec())),
            "--out",
            str(toml(tmp, "x", "file.txt") / "run"),
            "--quiet",
        ],
        "cannot write to run directory",
    ),
    Case("unwritable-out", unwritable, "cannot write to run directory"),
    # checkpoints of a killed run, resumed
    Case(
        "resume-missing-params",
        lambda tmp, runs: killed_copy(tmp, runs, lambda f: (f / "params.safetensors").unlink()),
        "params.safetensors' is missing",
    ),
    Case(
        "resume-truncated-params",
        lambda tmp, runs: killed_copy(tmp, runs, lambda f: truncate(f / "params.safetensors")),
        "params.safetensors' is truncated or corrupt",
    ),
    Case(
        "resume-missing-strategies",
        lambda tmp, runs: killed_copy(tmp, runs, lambda f: (f / "strategies.safetensors").unlink()),
        "strategies.safetensors' is missing",
    ),
    Case(
        "resume-missing-state",
        lambda tmp, runs: killed_copy(tmp, runs, lambda f: (f / "state.json").unlink()),
        "state.json' is missing",
    ),
    Case(
        "resume-truncated-state",
        lambda tmp, runs: killed_copy(tmp, runs, lambda f: truncate(f / "state.json")),
        "state.json' is truncated or corrupt",
    ),
    Case(
        "resume-missing-spec",
        lambda tmp, runs: killed_copy(
            tmp, runs, lambda f: (f.parent.parent / "spec.toml").unlink()
        ),
        "not a run directory (no spec.toml)",
    ),
    Case(
        "resume-complete-run",
        lambda tmp, runs: ["run", "--resume", str(runs["complete"]), "--quiet"],
        "already complete",
    ),
    Case(
        "resume-with-set",
        lambda tmp, runs: ["run", "--resume", str(runs["killed"]), "--set", "seed=1"],
        "--resume DIR takes the spec from DIR/spec.toml",
    ),
    # probing a run that kept no checkpoints
    Case(
        "probe-without-checkpoints",
        lambda tmp, runs: ["probe", str(runs["complete"])],
        "has no checkpoints to probe",
    ),
    # command-line usage (typer's own click exceptions)
    Case("cli-unknown-option", lambda tmp, runs: ["run", "--bogus"], "No such option: --bogus"),
    Case("cli-sweep-without-file", lambda tmp, runs: ["sweep"], "Missing argument"),
    Case(
        "cli-workers-not-a-number",
        lambda tmp, runs: ["sweep", str(sweep_file(tmp)), "--workers", "two"],
        "Invalid value for '--workers'",
    ),
    Case("cli-unknown-command", lambda tmp, runs: ["rnu"], "No such command 'rnu'"),
    Case("cli-extra-argument", lambda tmp, runs: ["validate", "a", "b"], "unexpected extra"),
    # output paths of report, compare, probe
    Case(
        "report-out-onto-results-json",
        lambda tmp, runs: [
            "report",
            str(runs["complete"]),
            "--out",
            str(runs["complete"] / "results.json"),
        ],
        "a report is an HTML file",
    ),
    Case(
        "report-out-existing-dir",
        lambda tmp, runs: ["report", str(runs["complete"]), "--out", existing(tmp)],
        "'existing' is a directory",
    ),
    Case(
        "compare-out-existing-dir",
        lambda tmp, runs: [
            "compare",
            str(runs["complete"]),
            str(runs["killed"]),
            "--out",
            existing(tmp),
        ],
        "'existing' is a directory",
    ),
    Case(
        "report-out-inside-another-run",
        lambda tmp, runs: [
            "report",
            str(runs["complete"]),
            "--out",
            str(runs["killed"] / "r.html"),
        ],
        "is inside the run directory",
    ),
    Case(
        "compare-out-inside-a-compared-run",
        lambda tmp, runs: [
            "compare",
            str(runs["complete"]),
            str(runs["killed"]),
            "--out",
            str(runs["complete"] / "cmp.html"),
        ],
        "is inside the run directory",
    ),
    Case(
        "report-out-below-a-file",
        lambda tmp, runs: [
            "report",
            str(runs["complete"]),
            "--out",
            str(toml(tmp, "x", "f.txt") / "r.html"),
        ],
        "is not a directory",
    ),
    Case(
        "probe-out-existing-file",
        lambda tmp, runs: ["probe", str(runs["complete"]), "--out", str(toml(tmp, "x", "f.txt"))],
        "exists and is not a directory",
    ),
    Case(
        "probe-out-another-run",
        lambda tmp, runs: ["probe", str(runs["complete"]), "--out", str(runs["killed"])],
        "is the run directory",
    ),
    Case(
        "probe-checkpoints-out-inside-a-run",
        lambda tmp, runs: [
            "probe-checkpoints",
            str(toml(tmp, small_run_spec())),
            "--checkpoint",
            str(runs["models"] / "good"),
            "--out",
            str(runs["complete"] / "p"),
        ],  # fmt: skip
        "is inside the run directory",
    ),
    # names: one safe folder name, never a path
    Case(
        "name-escapes-up",
        run_spec(wordnet(name="../../escaped"), out=False),
        "name: must be one folder name",
    ),
    Case(
        "name-absolute",
        lambda tmp, runs: run_spec(wordnet(name=str(tmp / "abs")), out=False)(tmp, runs),
        "name: must be one folder name",
    ),
    Case(
        "name-with-newline",
        run_spec(wordnet(name="a\nb"), out=False),
        "name: must be one folder name",
    ),
    Case("name-empty", run_spec(wordnet(name=""), out=False), "name: must be one folder name"),
    Case(
        "sweep-name-escapes-up",
        lambda tmp, runs: ["sweep", str(sweep_file(tmp, name="../../escaped")), "--quiet"],
        "name: must be one folder name",
    ),
    Case(
        "sweep-name-empty",
        lambda tmp, runs: ["sweep", str(sweep_file(tmp, name="")), "--quiet"],
        "name: must be one folder name",
    ),
    # model folders
    Case(
        "model-custom-code-not-trusted",
        lambda tmp, runs: ["validate", str(toml(tmp, model_spec(runs, "remote")))],
        "names custom code (auto_map), which runs only with model.trust_remote_code = true",
    ),
    Case(
        "model-pickle-only",
        lambda tmp, runs: run_spec(model_spec(runs, "pickle"))(tmp, runs),
        "has only pickle weights (pytorch_model.bin)",
    ),
    Case(
        "model-truncated-safetensors",
        lambda tmp, runs: run_spec(model_spec(runs, "truncated"))(tmp, runs),
        "model.safetensors is truncated or corrupt",
    ),
    # validate checks what the run needs of the model
    Case(
        "vocab-size-below-tokenizer",
        validate(wordnet(model={"config_overrides": {"vocab_size": 1000}})),
        "vocab_size = 1000 is below the tokenizer's 30522 tokens",
    ),
    Case(
        "positions-below-max-length",
        validate(wordnet(model={"name": "tiny-gpt2", "config_overrides": {"n_positions": 32}})),
        "model.config_overrides: n_positions = 32 leaves 32 positions, fewer than train.max_length = 64",
    ),
    Case(
        "max-length-above-positions",
        validate(wordnet(train={"max_length": 1000})),
        "train.max_length = 1000 is above the model's position limit of 256 tokens",
    ),
    Case(
        "run-max-length-above-positions",
        run_spec(wordnet(train={"max_length": 1000})),
        "train.max_length = 1000 is above the model's position limit of 256 tokens",
    ),
    # spec files: nesting, size, not a regular file
    Case("deeply-nested-arrays", validate("a = " + "[" * DEEP + "]" * DEEP), "more than 32 deep"),
    Case(
        "deeply-nested-tables",
        validate("a = " + "{b = " * DEEP + "1" + "}" * DEEP),
        "more than 32 deep",
    ),
    Case(
        "set-deeply-nested",
        validate(small_run_spec(), "--set", "train.lr=" + "[" * DEEP + "]" * DEEP),
        "--set train.lr nests tables or arrays more than 32 deep",
    ),
    Case(
        "spec-too-large",
        validate(tomli_w.dumps(small_run_spec()) + "# padding\n" * 500_000),
        "above the 4 MiB limit",
    ),
    Case(
        "spec-is-dev-zero", lambda tmp, runs: ["validate", "/dev/zero"], "it is a character device"
    ),
    Case(
        "spec-is-a-fifo", lambda tmp, runs: ["validate", str(fifo(tmp, "exp.toml"))], "it is a FIFO"
    ),
    Case("sweep-is-a-fifo", lambda tmp, runs: ["sweep", str(fifo(tmp, "s.toml"))], "it is a FIFO"),
    Case(
        "data-file-is-a-fifo",
        lambda tmp, runs: [
            "validate",
            str(toml(tmp, {"stream": {"kind": "files", "train": str(fifo(tmp, "t.jsonl"))}})),
        ],
        "it is a FIFO",
    ),
    Case(
        "damaged-sweep-toml",
        lambda tmp, runs: damaged_sweep_dir(tmp),
        "sweep.toml' is not valid TOML",
    ),
    # CSV and JSONL rows
    Case(
        "csv-extra-field-and-empty-label",
        lambda tmp, runs: csv_spec(tmp, "text,label,task\n" + CSV_ROWS + "a ball,,leisure,x\n"),
        f"train.csv:{len(GOOD) + 2}: 4 fields but the header has 3",
    ),
    Case(
        "csv-unquoted-comma",
        lambda tmp, runs: csv_spec(
            tmp, "text,label\nthe goal, a ball,sports\n", classes_per_task=2
        ),
        "train.csv:2: 3 fields but the header has 2",
    ),
    Case(
        "csv-line-numbers-after-quoted-newline",
        lambda tmp, runs: csv_spec(
            tmp,
            'text,label,task\n"a goal\nand a ball",sports,leisure\n'
            + CSV_ROWS
            + "a song,,leisure\n",
        ),
        f"train.csv:{len(GOOD) + 4}: missing column 'label'",
    ),
    Case(
        "jsonl-deeply-nested",
        lambda tmp, runs: [
            "validate",
            str(files_spec(tmp, jsonl(GOOD[:2]) + b'{"text": ' + b"[" * 100_000 + b"\n")),
        ],
        "train.jsonl:3: JSON nested too deeply",
    ),
]


def test_the_battery_is_large_and_unique():
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_exits_2_with_one_line_and_changes_nothing(
    case: Case, tmp_path, capsys, runs, monkeypatch
):
    if case.id == "unwritable-out" and os.geteuid() == 0:
        pytest.skip("root ignores directory permissions")
    work = tmp_path / "case"
    work.mkdir()
    monkeypatch.chdir(work)  # relative outputs and default run directories land in `work`
    args = case.args(work, runs)
    before = {p: tree_hash(p) for p in (work.parent, *runs.values())}
    code, _, err = cli(capsys, *args)
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert case.message in err, err
    assert {p: tree_hash(p) for p in before} == before  # nothing written, nothing changed
