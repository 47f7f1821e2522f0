"""`forgetlab probe RUN_DIR` and `forgetlab probe-checkpoints` end to end on tiny models."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import tomli_w
import torch

import forgetlab
from forgetlab.models.zoo import load
from forgetlab.spec import ModelSpec, spec_from_dict
from tests.conftest import tiny_wordnet
from tests.test_cli import cli

PROBE = {"probes": ["linear", "prototype"], "train_per_class": 8}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A finished 2-task tiny-bert run with a checkpoint after every stage."""
    d = tiny_wordnet(n_tasks=2, train_per_class=20, test_per_class=8)
    d["train"] |= {"checkpoint": "every", "epochs": 1}
    d["probe"] = PROBE
    out = tmp_path_factory.mktemp("run") / "run"
    forgetlab.run(spec_from_dict(d), out=out)
    return out


def test_probe_a_run_with_every_checkpoint(run_dir: Path, tmp_path: Path, capsys):
    code, out, err = cli(capsys, "probe", str(run_dir), "--out", str(tmp_path / "p"))
    assert code == 0, err
    assert "stage 1" in out and "prototype" in out
    res = json.loads((tmp_path / "p" / "probing.json").read_text())
    R = json.loads((run_dir / "results.json").read_text())["accuracy_matrix"]
    P = res["accuracy_matrix"]
    assert [[v is None for v in row] for row in P] == [[False, True], [False, False]]
    gap = res["by_probe"]["linear"]["gap_vs_model"]
    assert gap[1][0] == pytest.approx(P[1][0] - R[1][0])
    # the checkpoints are evaluated again: P vs R paired on the model's own predictions
    vs_model = res["by_probe"]["linear"]["test_vs_model"]
    assert vs_model[1][0]["diff"] == pytest.approx(P[1][0] - R[1][0])
    assert vs_model[0][1] is None and 0 < vs_model[1][1]["p"] <= 1
    assert "probing (linear probe, layer 2, 6 subsamples), after stage 1 on tasks 0:" in out
    assert all(c < 0.999 for c in res["cka"][0])  # the checkpoints were loaded: the model moved
    with open(tmp_path / "p" / "probing.csv") as f:
        rows = list(csv.DictReader(f))
    assert set(rows[0]) == {"stage", "task", "metric", "value", "layer"}
    assert {r["metric"] for r in rows} >= {"probe_acc", "probe0_acc_linear", "cka"}


def test_probe_a_run_with_only_the_last_checkpoint(run_dir: Path, tmp_path: Path, capsys):
    partial = tmp_path / "run"
    shutil.copytree(run_dir, partial)
    shutil.rmtree(partial / "checkpoints" / "stage_000")
    (partial / "report.html").unlink()
    code, out, err = cli(capsys, "probe", str(partial))
    assert code == 0, err
    assert "stages [0] have no checkpoint" in out
    # probing into the run's own folder refreshes the run's report with the probing section
    assert "report refreshed" in out
    assert "Probing: representation vs classifier" in (partial / "report.html").read_text()
    res = json.loads((partial / "probing" / "probing.json").read_text())
    assert res["accuracy_matrix"][0] == [None, None] and None not in res["accuracy_matrix"][1]
    assert res["cka"][1] == [None, None, None]  # no stage-0 features to compare with


def test_probe_without_checkpoints_is_a_one_line_error(run_dir: Path, tmp_path: Path, capsys):
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(run_dir / "spec.toml", bare / "spec.toml")
    code, _, err = cli(capsys, "probe", str(bare))
    assert code == 2 and "has no checkpoints to probe" in err and len(err.strip().splitlines()) == 1


def save_tiny_bert(folder: Path, seed: int) -> Path:
    torch.manual_seed(seed)
    backbone, tok, _ = load(ModelSpec(name="tiny-bert"))
    backbone.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def test_probe_checkpoints_of_one_model(tmp_path: Path, capsys):
    a = save_tiny_bert(tmp_path / "step1", seed=1)
    b = save_tiny_bert(tmp_path / "step2", seed=2)
    d = tiny_wordnet(n_tasks=2, train_per_class=30, test_per_class=10)
    d["probe"] = PROBE
    spec = tmp_path / "exp.toml"
    spec.write_text(tomli_w.dumps(d))
    code, out, err = cli(
        capsys,
        "probe-checkpoints",
        str(spec),
        "--checkpoint",
        str(a),
        "--checkpoint",
        str(a),
        "--checkpoint",
        str(b),
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 0, err
    assert "step2" in out
    res = json.loads((tmp_path / "o" / "checkpoints.json").read_text())
    assert res["layers"] == [0, 1, 2] and res["probes"] == ["linear", "prototype"]
    acc = res["accuracy"]["linear"]
    assert len(acc) == 3 and all(len(m) == 3 and len(m[0]) == 2 for m in acc)
    assert acc[0] == acc[1]  # the same checkpoint twice: the same features, the same probes
    assert res["cka_vs_previous"][0] == [None] * 3
    assert res["cka_vs_previous"][1] == pytest.approx([1.0] * 3)
    assert all(c < 0.99 for c in res["cka_vs_previous"][2])  # differently seeded weights
    assert res["zero_shot_accuracy"] is None  # random classifier heads: no zero-shot figure
    with open(tmp_path / "o" / "checkpoints.csv") as f:
        assert next(csv.reader(f)) == ["checkpoint", "task", "metric", "value", "layer"]


def test_probe_checkpoints_rejects_an_unknown_checkpoint(tmp_path: Path, capsys):
    spec = tmp_path / "exp.toml"
    spec.write_text(tomli_w.dumps(tiny_wordnet(n_tasks=2)))
    code, _, err = cli(
        capsys,
        "probe-checkpoints",
        str(spec),
        "--checkpoint",
        "step-9000",
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 2 and "not a hub id whose revision" in err


def test_probe_checkpoints_of_a_causal_lm_report_zero_shot_accuracy(tmp_path: Path):
    from forgetlab.probing.offline import probe_checkpoints

    folders = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        backbone, tok, _ = load(ModelSpec(name="tiny-gpt2"))
        backbone.save_pretrained(tmp_path / f"gpt{seed}")
        tok.save_pretrained(tmp_path / f"gpt{seed}")
        folders.append(str(tmp_path / f"gpt{seed}"))
    d = tiny_wordnet(n_tasks=2, train_per_class=20, test_per_class=8)
    d["model"] = {"name": "tiny-gpt2"}
    d["probe"] = {"probes": ["prototype"], "pooling": "last", "train_per_class": 8}
    res = probe_checkpoints(spec_from_dict(d), folders, tmp_path / "o")
    zs = res.zero_shot_accuracy
    assert zs is not None and len(zs) == 2 and all(0 <= a <= 1 for row in zs for a in row)
    assert res.layers == [0, 1, 2] and len(res.accuracy["prototype"]) == 2


def test_a_lone_checkpoint_without_backbone_weights_is_flagged(run_dir: Path, tmp_path: Path):
    from safetensors.torch import load_file, save_file

    from forgetlab.probing.offline import probe_run

    partial = tmp_path / "run"
    shutil.copytree(run_dir, partial)
    shutil.rmtree(partial / "checkpoints" / "stage_000")
    weights = partial / "checkpoints" / "stage_001" / "trainable.safetensors"
    heads_only = {k: v for k, v in load_file(weights).items() if not k.startswith("backbone.")}
    save_file(heads_only, weights)  # what SEQ* saves once its backbone is frozen
    report = probe_run(partial)
    assert report.stages == [1] and report.missing == [0]
    assert len(report.warnings) == 1 and "untrained backbone" in report.warnings[0]
    # no backbone weights were loaded: the probes see the untrained model's features
    by = report.results.by_probe["linear"]
    assert by.layer_accuracy[1] == by.baseline_layer_accuracy[1]
