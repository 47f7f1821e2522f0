"""A ladder is a pretraining sweep (kind = "pretrain"); a scale sweep runs experiments on its
rungs; the sweep report draws the metrics against parameters (and held-out perplexity)."""

from __future__ import annotations

import json

import pandas as pd
import tomli_w

from forgetlab.reports.sweep_report import write_sweep_report
from forgetlab.sweeps import load_sweep_spec, plan_sweep
from tests.pretrain.helpers import cli, tiny_spec


def test_two_rung_ladder_then_a_two_seed_scale_sweep_with_its_size_curve(
    tmp_path, corpus, toy_files, capsys
):
    base = tiny_spec(corpus, "gpt2", train={"tokens": 2048}, checkpoints={"at": [0]})
    del base["model"]["hidden"]
    ladder_file = tmp_path / "ladder.toml"
    ladder_file.write_text(tomli_w.dumps({
        "name": "ladder", "kind": "pretrain", "base": base,
        "axes": {"model.hidden": [16, 48]}, "backend": {"workers": 2},
    }))  # fmt: skip
    code, out, err = cli(capsys, "sweep", str(ladder_file), "--dry-run")
    assert code == 0, err
    assert "2 pretrain cells, all valid" in out and "c001 (model.hidden=48, seed=0)" in out
    ladder = tmp_path / "ladder"
    code, out, err = cli(capsys, "sweep", str(ladder_file), "--out", str(ladder), "--quiet")
    assert code == 0, err
    rungs = [ladder / "cells" / c for c in ("c000", "c001")]
    results = [json.loads((r / "results.json").read_text()) for r in rungs]
    params = [r["model"]["total_params"] for r in results]
    assert [r["kind"] for r in results] == ["pretrain"] * 2 and params[0] < params[1]
    assert "tok/s" in (ladder / "logs" / "c000.log").read_text()  # progress lines in the log
    summary = pd.read_csv(ladder / "summary.csv")
    assert summary["total_params"].tolist() == params
    assert summary["heldout_ppl"].tolist() == [r["metrics"]["heldout_ppl"] for r in results]

    train, test = toy_files
    scale_file = tmp_path / "scale.toml"
    scale_file.write_text(tomli_w.dumps({
        "name": "scale",
        "base": {
            "model": {"name": str(rungs[0])},
            "stream": {"kind": "files", "train": str(train), "test": str(test)},
            "train": {"epochs": 2, "lr": 3e-3, "batch_size": 16, "checkpoint": "none"},
        },
        "axes": {"model.name": [str(r) for r in rungs]},
        "seeds": [0, 1],
        "backend": {"workers": 2},
    }))  # fmt: skip
    out_dir = tmp_path / "scale"
    code, out, err = cli(capsys, "sweep", str(scale_file), "--out", str(out_dir), "--quiet")
    assert code == 0, err
    cells = pd.read_csv(out_dir / "summary.csv")
    assert sorted(set(cells["total_params"])) == params  # text to text: the LM's own count
    assert set(cells["pretrain_tokens"]) == {2048} and set(cells["family"]) == {"gpt2"}
    report = write_sweep_report(out_dir)
    html = report.read_text()
    assert 'id="scale"' in html and "against the model&#39;s parameters (log axis" in html
    assert (out_dir / "figures" / "scale_params.png").stat().st_size > 5000
    # no pretraining-token curve: every cell saw the same 2,048 tokens
    assert not (out_dir / "figures" / "scale_tokens.png").exists()
    ladder_report = write_sweep_report(ladder).read_text()
    assert 'id="scale"' in ladder_report and "heldout_ppl" in ladder_report
    assert (ladder / "figures" / "scale_params.png").is_file()


def test_pretraining_sweeps_have_no_task_orders(tmp_path, corpus):
    path = tmp_path / "bad.toml"
    path.write_text(tomli_w.dumps({"kind": "pretrain", "base": tiny_spec(corpus), "orders": 2}))
    import pytest

    from forgetlab.errors import SpecError

    with pytest.raises(SpecError, match="orders: a pretraining sweep has no tasks to order"):
        load_sweep_spec(path)
    path.write_text(tomli_w.dumps({"kind": "pretrain", "base": tiny_spec(corpus),
                                   "axes": {"model.famliy": ["lstm"]}}))  # fmt: skip
    with pytest.raises(SpecError, match="cell c000 .*unknown key 'model.famliy'"):
        plan_sweep(load_sweep_spec(path))
