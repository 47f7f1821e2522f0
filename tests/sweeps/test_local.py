"""Local sweeps end to end on tiny-bert: 4 cells (lr x task order) on 2 workers, bad specs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from forgetlab.sweeps import load_sweep_spec
from forgetlab.sweeps.cell import threads_per_worker
from tests.sweeps.helpers import cli, mtimes, toy_base, write


def test_four_cells_on_two_workers_then_a_rerun_skips_them(tmp_path: Path, toy_files, capsys):
    orders = [["home", "leisure"], ["leisure", "home"]]  # the files list leisure first
    sweep = write(
        tmp_path / "lr.toml",
        {
            "base": {**toy_base(*toy_files), "seed": 3},
            "orders": orders,
            "axes": {"train.lr": [1e-3, 3e-3]},
        },
    )
    out = tmp_path / "out"
    code, stdout, err = cli(
        capsys, "sweep", str(sweep), "--workers", "2", "--out", str(out), "--quiet"
    )
    assert code == 0, err
    assert "average_forgetting" in stdout and "train.lr" in stdout
    index = json.loads((out / "cells.json").read_text())
    cells = index["cells"]
    assert index["axes"] == ["train.lr"] and len(cells) == 4
    assert [c["status"] for c in cells] == ["done"] * 4
    assert [(c["axes"]["train.lr"], c["order"]) for c in cells] == [
        (1e-3, orders[0]), (1e-3, orders[1]), (3e-3, orders[0]), (3e-3, orders[1])
    ]  # fmt: skip
    assert [c["seed"] for c in cells] == [3] * 4  # no seeds axis: the base's seed
    # each worker got its share of the cores: cpu_count // 2 torch threads (at least 1)
    assert all(c["threads"] == threads_per_worker(2) for c in cells)
    assert all(c["seconds"] > 0 and c["error"] is None for c in cells)
    results = {}
    for c in cells:  # ordinary run directories, with the cell's own seed and lr
        run_dir = out / c["run_dir"]
        res = json.loads((run_dir / "results.json").read_text())
        assert res["status"] == "complete" and res["seed"] == c["seed"]
        assert res["tasks"] == c["order"]  # the order transform reached the run
        assert res["name"] == f"lr-{c['cell']}"
        assert f"lr = {c['axes']['train.lr']}" in (run_dir / "spec.toml").read_text()
        results[c["cell"]] = res["metrics"]
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary["cell"]) == ["c000", "c001", "c002", "c003"]
    assert summary["average_accuracy"].tolist() == pytest.approx(
        [results[c]["average_accuracy"] for c in summary["cell"]]
    )
    grouped = pd.read_csv(out / "grouped.csv")
    assert grouped["train.lr"].tolist() == [1e-3, 3e-3] and grouped["cells"].tolist() == [2, 2]
    want = (results["c002"]["average_accuracy"] + results["c003"]["average_accuracy"]) / 2
    assert grouped.loc[1, "average_accuracy_mean"] == pytest.approx(want)
    # task-order spread per lr: |difference| of the two orders' accuracies
    sens = pd.read_csv(out / "order_sensitivity.csv")
    assert sens["orders"].tolist() == [2, 2]
    diff = abs(results["c000"]["average_accuracy"] - results["c001"]["average_accuracy"])
    assert sens.loc[0, "average_accuracy_order_range"] == pytest.approx(diff)
    # the resolved sweep (base inlined) is kept and loads back to the same cells
    assert load_sweep_spec(out / "sweep.toml").base == load_sweep_spec(sweep).base
    # the same sweep again: every cell is finished, nothing runs
    before = mtimes(out)
    code, stdout, err = cli(capsys, "sweep", str(sweep), "--out", str(out), "--quiet")
    assert code == 0, err
    assert mtimes(out) == before and len(before) == 4


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"axes": {"train.lrr": [1e-3]}},
            "error: cell c000 (train.lrr=0.001, seed=0): unknown key 'train.lrr'; did you mean 'lr'?",
        ),
        ({"axes": {"train.lr": []}}, "axes.train.lr: list should have at least 1 item, not 0"),
    ],
)
def test_bad_sweep_specs_exit_2_with_one_line_and_write_nothing(
    tmp_path: Path, toy_files, capsys, fields: dict, message: str
):
    sweep = write(tmp_path / "bad.toml", {"base": toy_base(*toy_files), **fields})
    out = tmp_path / "out"
    code, stdout, err = cli(capsys, "sweep", str(sweep), "--out", str(out), "--quiet")
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_a_different_sweep_in_an_existing_directory_is_refused(tmp_path: Path, toy_files, capsys):
    out = tmp_path / "out"
    out.mkdir()
    write(out / "sweep.toml", {"name": "x", "base": toy_base(*toy_files)})
    sweep = write(tmp_path / "x.toml", {"base": toy_base(*toy_files), "seeds": [5]})
    code, _, err = cli(capsys, "sweep", str(sweep), "--out", str(out), "--quiet")
    assert code == 2 and "holds a different sweep" in err
    assert sorted(p.name for p in out.iterdir()) == ["sweep.toml"]


def test_a_directory_from_before_a_new_sweep_field_still_holds_the_same_sweep(
    tmp_path: Path, toy_files
):
    """A sweep directory written before `seed_fields` existed resumes when the sweep leaves
    the new field at its default, and is refused when it sets it."""
    import tomllib

    from forgetlab.errors import RunDirError
    from forgetlab.sweeps.runner import prepare_dir
    from forgetlab.sweeps.spec import dump_sweep

    path = write(tmp_path / "x.toml", {"base": toy_base(*toy_files), "seeds": [0, 1]})
    spec = load_sweep_spec(path)
    stored = tomllib.loads(dump_sweep(spec))
    assert stored.pop("seed_fields") == []  # what an older forgetlab did not write
    out = tmp_path / "out"
    out.mkdir()
    write(out / "sweep.toml", stored)
    prepare_dir(out, spec)  # no error: the same sweep
    paired = write(
        tmp_path / "x.toml",
        {"base": toy_base(*toy_files), "seeds": [0, 1], "seed_fields": ["stream.seed"]},
    )
    with pytest.raises(RunDirError, match="holds a different sweep"):
        prepare_dir(out, load_sweep_spec(paired))
