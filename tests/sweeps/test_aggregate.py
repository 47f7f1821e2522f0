"""Sweep tables from a hand-made sweep directory: per-cell rows, t intervals, order spread."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

import forgetlab
from forgetlab.sweeps import t_interval
from forgetlab.sweeps.index import CellRecord, SweepIndex, write_index

T3 = 3.182  # t(0.975, 3 degrees of freedom), from a printed t table


def test_t_interval_on_known_numbers():
    mean, std, n, low, high = t_interval([1.0, 2.0, 3.0, 4.0])
    assert (mean, n) == (2.5, 4)
    assert std == pytest.approx(math.sqrt(5 / 3))  # sum of squares 5, n - 1 = 3
    half = T3 * math.sqrt(5 / 3) / 2  # t * s / sqrt(n)
    assert low == pytest.approx(2.5 - half, abs=1e-3) and high == pytest.approx(
        2.5 + half, abs=1e-3
    )
    assert low == pytest.approx(0.44574, abs=1e-5) and high == pytest.approx(4.55426, abs=1e-5)
    # nan and None are left out; one value has no spread and no interval
    assert t_interval([3.0, None, float("nan")])[:3] == (3.0, t_interval([3.0])[1], 1)
    assert math.isnan(t_interval([3.0])[1]) and math.isnan(t_interval([3.0])[3])
    assert t_interval([])[2] == 0


def make_sweep(root: Path) -> None:
    """r in {4, 8} x orders {0, 1} x seeds {0, 1}; cell (r=8, order 0, seed 1) failed."""
    forgetting = {
        (4, 0, 0): 0.1, (4, 0, 1): 0.3, (4, 1, 0): 0.5, (4, 1, 1): 0.7,
        (8, 0, 0): 0.2, (8, 0, 1): None, (8, 1, 0): 0.2, (8, 1, 1): 0.2,
    }  # fmt: skip
    records = []
    for n, ((r, order, seed), value) in enumerate(forgetting.items()):
        run_dir = root / "cells" / f"c{n:03d}"
        run_dir.mkdir(parents=True)
        status = "failed" if value is None else "done"
        if value is not None:
            metrics = {"average_forgetting": value, "average_accuracy": 1 - value, "fwt": None}
            (run_dir / "results.json").write_text(
                json.dumps({"status": "complete", "metrics": metrics})
            )
        records.append(
            CellRecord(
                cell=f"c{n:03d}", axes={"method.r": r}, seed=seed, order=order, status=status,
                run_dir=f"cells/c{n:03d}", seconds=1.5, error="boom" if value is None else None,
            )
        )  # fmt: skip
    write_index(root, SweepIndex(name="t", axes=["method.r"], cells=records))


def test_cells_table_has_one_row_per_cell_with_its_metrics(tmp_path: Path):
    make_sweep(tmp_path)
    sweep = forgetlab.load_sweep(tmp_path)
    cells = sweep.cells
    assert len(cells) == 8 and list(cells["cell"]) == [f"c{n:03d}" for n in range(8)]
    assert list(cells.columns[:7]) == [
        "cell",
        "method.r",
        "seed",
        "order",
        "status",
        "run_dir",
        "seconds",
    ]
    assert set(sweep.metrics) == {"average_forgetting", "average_accuracy", "fwt"}
    assert list(cells["status"]).count("failed") == 1 and cells.loc[5, "status"] == "failed"
    assert math.isnan(cells.loc[5, "average_forgetting"])
    assert cells.loc[2, "average_forgetting"] == 0.5 and cells.loc[2, "average_accuracy"] == 0.5
    assert cells["fwt"].isna().all()
    assert cells.loc[0, "run_dir"] == str((tmp_path / "cells" / "c000").resolve())


def test_grouped_pools_seeds_and_orders_and_skips_failed_cells(tmp_path: Path):
    make_sweep(tmp_path)
    g = forgetlab.load_sweep(tmp_path).grouped.set_index("method.r")
    # r = 4: 0.1, 0.3, 0.5, 0.7 -> mean 0.4, s = sqrt(0.2 / 3), 95% CI 0.4 +- t3 * s / 2
    s = math.sqrt(0.2 / 3)
    assert g.loc[4, "cells"] == 4 and g.loc[4, "average_forgetting_n"] == 4
    assert g.loc[4, "average_forgetting_mean"] == pytest.approx(0.4)
    assert g.loc[4, "average_forgetting_std"] == pytest.approx(s)
    assert g.loc[4, "average_forgetting_ci95_low"] == pytest.approx(0.4 - T3 * s / 2, abs=1e-3)
    assert g.loc[4, "average_forgetting_ci95_high"] == pytest.approx(0.4 + T3 * s / 2, abs=1e-3)
    assert g.loc[4, "average_accuracy_mean"] == pytest.approx(0.6)
    # r = 8: the failed cell is left out: 0.2, 0.2, 0.2
    assert g.loc[8, "cells"] == 3 and g.loc[8, "average_forgetting_n"] == 3
    assert g.loc[8, "average_forgetting_std"] == pytest.approx(0.0, abs=1e-12)
    assert g.loc[8, "average_forgetting_ci95_low"] == pytest.approx(0.2)
    assert g.loc[4, "fwt_n"] == 0 and math.isnan(g.loc[4, "fwt_mean"])


def test_order_sensitivity_is_the_spread_over_task_orders(tmp_path: Path):
    make_sweep(tmp_path)
    o = forgetlab.load_sweep(tmp_path).order_sensitivity.set_index("method.r")
    # r = 4: order 0 mean (0.1 + 0.3) / 2 = 0.2, order 1 mean 0.6 -> std sqrt(0.08), range 0.4
    assert o.loc[4, "orders"] == 2
    assert o.loc[4, "average_forgetting_order_std"] == pytest.approx(math.sqrt(0.08))
    assert o.loc[4, "average_forgetting_order_range"] == pytest.approx(0.4)
    assert o.loc[8, "average_forgetting_order_range"] == pytest.approx(0.0)


def test_tables_are_written_as_csv(tmp_path: Path):
    make_sweep(tmp_path)
    sweep = forgetlab.load_sweep(tmp_path)
    sweep.write_tables()
    assert len(pd.read_csv(tmp_path / "summary.csv")) == 8
    grouped = pd.read_csv(tmp_path / "grouped.csv")
    assert list(grouped["method.r"]) == [4, 8]
    assert grouped["average_forgetting_mean"].tolist() == pytest.approx([0.4, 0.2])
    assert len(pd.read_csv(tmp_path / "order_sensitivity.csv")) == 2


def test_no_axes_no_orders_is_one_group_and_no_order_table(tmp_path: Path):
    run_dir = tmp_path / "cells" / "c000"
    run_dir.mkdir(parents=True)
    (run_dir / "results.json").write_text(json.dumps({"metrics": {"bwt": -0.5}}))
    rec = CellRecord(cell="c000", axes={}, seed=0, status="done", run_dir="cells/c000")
    write_index(tmp_path, SweepIndex(name="one", axes=[], cells=[rec]))
    sweep = forgetlab.load_sweep(tmp_path)
    assert len(sweep.grouped) == 1 and sweep.grouped.loc[0, "bwt_mean"] == -0.5
    assert sweep.order_sensitivity.empty


def test_not_a_sweep_directory(tmp_path: Path):
    with pytest.raises(forgetlab.ForgetlabError, match="is not a sweep directory"):
        forgetlab.load_sweep(tmp_path)
