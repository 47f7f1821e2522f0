"""`forgetlab compare` and `forgetlab report` on hand-built and real tiny run directories."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from forgetlab.reports.compare import compare_metrics, spec_differences
from forgetlab.reports.run_data import load_run
from tests.conftest import cli  # noqa: F401
from tests.reports.helpers import METRICS, results_dict, write_run

OTHER = {**METRICS, "average_accuracy": 0.55, "average_forgetting": 0.25, "bwt": -0.25}


def two_runs(tmp_path: Path) -> tuple[Path, Path]:
    a = write_run(tmp_path / "seq", results_dict("seq"), 'name = "seq"\n[train]\nlr = 0.001\n')
    res = results_dict("ewc", metrics=OTHER)
    res["model"]["trainable_params"] = 200
    res["wall_time_s"] = 50.5
    b = write_run(
        tmp_path / "ewc", res, 'name = "ewc"\n[train]\nlr = 0.001\n[strategy]\nkind = "ewc"\n'
    )
    return a, b


def test_compare_metrics_differences_from_the_first_run(tmp_path: Path):
    a, b = two_runs(tmp_path)
    table = compare_metrics([load_run(a), load_run(b)])
    assert list(table.columns) == ["seq", "ewc", "Δ ewc"]
    assert table.loc["average_forgetting", "Δ ewc"] == pytest.approx(0.25 - 0.6)
    assert table.loc["average_accuracy", "Δ ewc"] == pytest.approx(0.15)
    assert table.loc["trainable_params", "Δ ewc"] == -50
    assert table.loc["wall_time_s", "Δ ewc"] == pytest.approx(8.5)
    diff = spec_differences([load_run(a), load_run(b)])
    assert list(diff.index) == ["name", "strategy.kind"]  # train.lr is the same: not listed
    assert diff.loc["strategy.kind"].tolist() == [None, "ewc"]


def test_compare_cli_prints_the_table_and_writes_the_matrices(tmp_path: Path, capsys):
    a, b = two_runs(tmp_path)
    code, out, err = cli(capsys, "compare", str(a), str(b), "--out", str(tmp_path / "cmp.html"))
    assert code == 0, err
    row = next(line for line in out.splitlines() if "average_forgetting" in line)
    assert re.search(r"0\.600\s.*0\.250\s.*-0\.350", row)
    assert "run 2: ewc" in out
    html = (tmp_path / "cmp.html").read_text()
    assert 'id="fig-compare_matrices"' in html and 'id="fig-compare_seen_accuracy"' in html
    assert (tmp_path / "figures" / "compare_matrices.png").is_file()
    code, _, err = cli(capsys, "compare", str(a))
    assert code == 2 and "at least two run directories" in err


def test_report_cli_on_a_real_run_and_combined_runs(tiny_run: Path, tmp_path: Path, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(tiny_run, run_dir)
    code, out, err = cli(capsys, "report", str(run_dir))
    assert code == 0, err
    assert out.strip() == f"report: {run_dir / 'report.html'}"
    other = write_run(tmp_path / "hand", results_dict())
    combined = tmp_path / "both.html"
    code, out, err = cli(capsys, "report", str(run_dir), str(other), "--out", str(combined))
    assert code == 0, err
    html = combined.read_text()
    assert len(re.findall(r"<article ", html)) == 2
    assert 'id="r0-run-accuracy"' in html and 'id="r1-hand-accuracy"' in html
    assert 'id="fig-r1-hand-accuracy_matrix"' in html
    assert (tmp_path / "figures" / "r1-hand" / "accuracy_matrix.png").is_file()


def test_report_cli_on_a_directory_that_is_neither_run_nor_sweep(tmp_path: Path, capsys):
    code, out, err = cli(capsys, "report", str(tmp_path))
    assert code == 2
    assert err.strip().count("\n") == 0 and "neither results.json" in err
