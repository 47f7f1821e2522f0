"""Sweep reports from a hand-built cells table, and through forgetlab.load_sweep."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import forgetlab
from forgetlab.errors import ForgetlabError
from forgetlab.reports.page import write_pages
from forgetlab.reports.sweep_report import sweep_page, write_sweep_report
from forgetlab.reports.sweep_stats import config_stats, mean_ci, order_spread, pareto_front
from tests.reports.helpers import AXES, results_dict, sweep_cells, write_run

T_975 = {2: 4.302652729911275, 5: 2.570581835636314}  # Student t quantiles (tables), by df


def test_mean_ci_is_the_student_t_interval():
    mean, std, low, high, n = mean_ci(np.array([1.0, 2.0, 3.0, np.nan]))
    assert (mean, std, n) == (2.0, 1.0, 3)
    assert low == pytest.approx(2.0 - T_975[2] / np.sqrt(3))
    assert high == pytest.approx(2.0 + T_975[2] / np.sqrt(3))
    single = mean_ci(np.array([0.5]))
    assert single[0] == 0.5 and np.isnan(single[2]) and single[4] == 1


def test_config_stats_pools_seeds_and_orders_and_drops_failed_cells():
    stats = config_stats(
        sweep_cells(), ["transform.0.factor", "strategy.kind"], "average_forgetting"
    )
    assert len(stats) == 6
    seq1 = stats[(stats["transform.0.factor"] == 1) & (stats["strategy.kind"] == "seq")].iloc[0]
    values = [0.8 + s * 0.01 + o * 0.1 for s in (0, 1, 2) for o in (0, 1)]
    assert seq1["n"] == 6 and seq1["mean"] == pytest.approx(np.mean(values))
    half = T_975[5] * np.std(values, ddof=1) / np.sqrt(6)
    assert seq1["ci_high"] - seq1["mean"] == pytest.approx(half)
    ewc4 = stats[(stats["transform.0.factor"] == 4) & (stats["strategy.kind"] == "ewc")].iloc[0]
    assert ewc4["n"] == 5  # the failed cell is left out


def test_pareto_front_keeps_the_points_nothing_beats():
    learning = np.array([0.9, 0.7, 0.8, 0.6, 0.9])
    forgetting = np.array([0.8, 0.1, 0.5, 0.3, 0.9])
    # 0.6/0.3 is beaten by 0.7/0.1; 0.9/0.9 by 0.9/0.8
    assert pareto_front(learning, forgetting).tolist() == [True, True, True, False, False]


def test_order_spread_is_the_range_over_orders():
    spread = order_spread(sweep_cells(), "order", ["transform.0.factor", "strategy.kind"],
                          "average_forgetting")  # fmt: skip
    row = spread[(spread["transform.0.factor"] == 2) & (spread["strategy.kind"] == "seq")].iloc[0]
    assert row["orders"] == 2 and row["range"] == pytest.approx(0.1)
    assert row["std"] == pytest.approx(0.1 / np.sqrt(2))


def test_sweep_page_has_every_section_and_figure(tmp_path: Path):
    page = sweep_page(sweep_cells(), AXES, title="dup")
    assert [s.id for s in page.sections] == ["axes", "tradeoff", "order", "summary", "cells"]
    names = [f.name for f in page.figures()]
    assert names == [
        "axis_transform-0-factor",
        "axis_strategy-kind",
        "tradeoff",
        "order_sensitivity",
    ]
    summary = next(s for s in page.sections if s.id == "summary").blocks[0]
    first = summary.rows[0]  # factor 1, strategy seq: the order of the cells (issue 14)
    assert first[0] == "transform.factor=1, strategy.kind=seq" and first[1] == "6"
    assert summary.rows[1][0] == "transform.factor=1, strategy.kind=ewc"
    forgetting = summary.header.index("average_forgetting")
    assert first[forgetting].startswith(
        f"{np.mean([0.8 + s * 0.01 + o * 0.1 for s in range(3) for o in (0, 1)]):.3f} ± "
    )
    cells = next(s for s in page.sections if s.id == "cells").blocks[0]
    assert len(cells.rows) == 36 and cells.rows[-1][1] == "failed"
    out = write_pages([page], tmp_path / "report.html")
    html = out.read_text()
    for name in names:
        assert f'id="fig-{name}"' in html
        assert (tmp_path / "figures" / f"{name}.png").stat().st_size > 1000


def test_without_an_order_axis_there_is_no_order_section():
    cells = sweep_cells()
    page = sweep_page(cells[cells["order"] == 0], ["transform.0.factor", "strategy.kind", "seed"])
    assert [s.id for s in page.sections] == ["axes", "tradeoff", "summary", "cells"]


def test_missing_axis_column_is_a_one_line_error():
    with pytest.raises(ForgetlabError, match=r"lacks axis column\(s\) \['method.r'\]"):
        sweep_page(sweep_cells(), ["method.r"])


def make_sweep_dir(root: Path) -> None:
    """Two done cells (r = 4, 8) and one failed one, written the way `forgetlab sweep` does."""
    index = pytest.importorskip("forgetlab.sweeps.index")
    records = []
    for n, (r, forgetting) in enumerate([(4, 0.5), (8, 0.3), (8, None)]):
        if forgetting is not None:
            metrics = {"average_forgetting": forgetting, "learning_accuracy": 0.9,
                       "average_accuracy": 0.9 - forgetting}  # fmt: skip
            write_run(root / "cells" / f"c{n}", results_dict(name=f"c{n}", metrics=metrics))
        records.append(
            index.CellRecord(
                cell=f"c{n}", axes={"method.r": r}, seed=n, order=None,
                status="done" if forgetting is not None else "failed", run_dir=f"cells/c{n}",
                seconds=1.0, error=None if forgetting is not None else "boom",
            )
        )  # fmt: skip
    index.write_index(root, index.SweepIndex(name="t", axes=["method.r"], cells=records))


def test_sweep_directory_report_through_load_sweep(tmp_path: Path):
    make_sweep_dir(tmp_path)
    out = write_sweep_report(tmp_path)
    html = out.read_text()
    assert re.findall(r'<section id="([^"]+)"', html) == ["axes", "tradeoff", "summary", "cells"]
    assert 'id="fig-axis_method-r"' in html and 'id="fig-tradeoff"' in html
    assert "3 cells (2 complete, 1 not)" in html
    assert json.loads((tmp_path / "cells.json").read_text())  # the sweep's own files untouched


def test_sweep_report_without_the_sweeps_package_says_so(tmp_path: Path, monkeypatch):
    monkeypatch.delattr(forgetlab, "load_sweep", raising=False)
    with pytest.raises(ForgetlabError, match="need forgetlab.load_sweep"):
        write_sweep_report(tmp_path)


def test_whole_section_axis_values_read_as_written():
    from forgetlab.reports.sweep_stats import axis_value_text, config_label

    er = json.dumps({"kind": "er", "memory_size": 36}, sort_keys=True)
    assert axis_value_text(er) == "er memory_size=36"
    assert axis_value_text('{"kind": "seq"}') == "seq"
    assert axis_value_text("[2, 0, 1]") == "[2, 0, 1]" and axis_value_text(0.5) == "0.5"
    assert axis_value_text("{not json") == "{not json"
    row = {"strategy": er, "train.lr": 0.001}
    assert config_label(row, ["strategy", "train.lr"]) == (
        "strategy=er memory_size=36, train.lr=0.001"
    )
