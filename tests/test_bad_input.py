"""Bad input never loses work: malformed specs, data files, output and run directories.

Each case goes through the command line (`forgetlab.cli.main.main`, in process) and must give
exit code 2, exactly one line on stderr naming the problem (a key substring is asserted), and
change nothing on disk: the case's own folder and two pre-existing run directories (one
complete, one killed after its first stage) hash the same before and after.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import tomli_w

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
    return {"complete": root / "complete", "killed": root / "killed"}


def tree_hash(root: Path) -> str:
    """sha256 over every path below `root` (names, kinds, file bytes)."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes() if p.is_file() else b"<dir>")
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
]


def test_the_battery_is_large_and_unique():
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_exits_2_with_one_line_and_changes_nothing(case: Case, tmp_path, capsys, runs):
    if case.id == "unwritable-out" and os.geteuid() == 0:
        pytest.skip("root ignores directory permissions")
    work = tmp_path / "case"
    work.mkdir()
    args = case.args(work, runs)
    before = {p: tree_hash(p) for p in (work, *runs.values())}
    code, _, err = cli(capsys, *args)
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert case.message in err, err
    assert {p: tree_hash(p) for p in before} == before  # nothing written, nothing changed
