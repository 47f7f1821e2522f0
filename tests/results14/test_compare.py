"""`forgetlab compare`: columns headed by the differing spec values, `--csv`, unset values as
"-", and heatmap task labels that do not overlap."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from forgetlab.reports.compare import column_heads, compare_rows, differing_values
from forgetlab.reports.figures_run import annotate_matrix
from forgetlab.reports.run_data import load_run
from tests.conftest import cli  # noqa: F401


def test_heads_name_the_differing_spec_values(two_runs):
    runs = [load_run(d) for d in two_runs]
    assert differing_values(runs) == [
        [("strategy", "seq"), ("seed", "0"), ("train.lr", "0.002")],
        [("strategy", "ewc"), ("seed", "1"), ("train.lr", "0.001")],
    ]  # ewc's own fields (lambda_, ...) are implied by strategy=ewc; `name` is the same
    assert column_heads(runs) == [
        "strategy=seq, seed=0, train.lr=0.002",
        "strategy=ewc, seed=1, train.lr=0.001",
    ]
    assert column_heads(runs, parts=1) == ["strategy=seq, +2", "strategy=ewc, +2"]


def test_same_specs_fall_back_to_the_run_labels(two_runs):
    seq, _ = two_runs
    runs = [load_run(seq), load_run(seq)]
    assert differing_values(runs) == [[], []]
    assert column_heads(runs) == ["tiny (seq)", "tiny (seq) #2"]


def test_compare_cli_heads_columns_and_writes_csv(two_runs, tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "240")
    seq, ewc = two_runs
    out_csv = tmp_path / "cmp.csv"
    code, out, err = cli(capsys, "compare", str(seq), str(ewc), "--csv", str(out_csv))
    assert code == 0, err
    assert "strategy=ewc, seed=1, train.lr=0.001" in out and f"csv: {out_csv}" in out
    df = pd.read_csv(out_csv)
    assert list(df["strategy"]) == ["seq", "ewc"] and list(df["train.lr"]) == [0.002, 0.001]
    assert list(df["run_dir"]) == [str(seq), str(ewc)]
    for k, d in enumerate((seq, ewc)):
        metrics = load_run(d).results["metrics"]
        for name, value in metrics.items():
            got = df.loc[k, name]
            assert math.isnan(got) if value is None else got == pytest.approx(value), name
    # a null metric is "-" in the terminal and an empty cell in the CSV
    assert load_run(seq).results["metrics"]["fwt"] is None
    fwt = next(line for line in out.splitlines() if "│ fwt " in line)
    assert [c.strip() for c in fwt.split("│")[2:5]] == ["-", "-", "-"]
    assert ",fwt," in out_csv.read_text().splitlines()[0]


def test_unset_spec_values_are_one_dash_everywhere(two_runs, tmp_path: Path):
    from forgetlab.reports.compare import compare_page

    runs = [load_run(d) for d in two_runs]
    page = compare_page(runs)
    spec_table = next(
        b for s in page.sections for b in s.blocks if getattr(b, "header", [""])[0] == "spec field"
    )
    lam = next(r for r in spec_table.rows if r[0] == "strategy.0.lambda_")
    assert lam[1] == "-" and float(lam[2]) > 0  # seq has no lambda_: "-", not "(unset)"
    assert all("(unset)" not in c and "None" not in c for r in spec_table.rows for c in r)
    rows = compare_rows(runs)
    assert list(rows.columns[:6]) == ["head", "run", "run_dir", "strategy", "seed", "train.lr"]


def test_compare_csv_refuses_a_path_inside_a_run(two_runs, capsys):
    seq, ewc = two_runs
    code, out, err = cli(capsys, "compare", str(seq), str(ewc), "--csv", str(seq / "x.csv"))
    assert code == 2 and "inside the run directory" in err and not (seq / "x.csv").exists()


def _overlaps(boxes) -> bool:
    return any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


@pytest.mark.parametrize("n", [3, 6, 8])
def test_long_task_names_do_not_overlap_in_heatmaps(n: int):
    names = [f"sports_nws{j:02d}" for j in range(n)]  # 12 characters: kept whole
    fig = Figure(figsize=(0.6 * n + 1.6, 0.4 * (n + 1) + 1.2), layout="constrained")
    ax = fig.add_subplot()
    annotate_matrix(ax, np.full((n, n), 0.5), [f"stage {i}" for i in range(n)], names, "R")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels()]
    assert [t.get_text() for t in ax.get_xticklabels()] == names
    assert not _overlaps(boxes)
