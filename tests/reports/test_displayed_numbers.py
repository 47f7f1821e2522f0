"""What the report, `show` and `compare` display is what results.json holds: the heatmap's
cells, the matrix table, the forgetting curves and bars, the printed matrix and metrics,
the compared matrices and seen-task curves; planted, asymmetric numbers (a transposed or
shifted matrix fails)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from forgetlab.metrics.distance import forgetting_by_distance
from forgetlab.reports import compare as compare_mod
from forgetlab.reports import figures_run
from forgetlab.reports.run_data import load_run
from forgetlab.reports.run_report import run_page
from forgetlab.runs.schema import ResultsFile
from tests.reports.helpers import INITIAL, R, results_dict, write_run

BASELINES = {
    "chance": [[0.5, 0.25, 1 / 6], [0.25, 0.25, 1 / 6], [1 / 6] * 3],
    "initial_chance": [0.5, 0.25, 1 / 6],
    "majority": [0.5, 0.5, 0.5],
    "near_chance_threshold": 0.05,
}


@pytest.fixture
def figures(monkeypatch) -> dict:
    """name -> the matplotlib figure each render_figure call drew."""
    drawn: dict = {}
    for module in (figures_run, compare_mod):
        real = module.render_figure

        def capture(fig, name, caption, real=real):
            drawn[name] = fig
            return real(fig, name, caption)

        monkeypatch.setattr(module, "render_figure", capture)
    return drawn


def planted_run(tmp_path: Path, name: str = "hand", R=R) -> Path:
    res = results_dict(name, R=R, baselines=BASELINES)
    res["forgetting_by_distance"] = list(forgetting_by_distance(R))
    res["metric_notes"] = {"fwt": "undefined for classifier learners: planted"}
    res["metrics"] = {**res["metrics"], "fwt": None}
    return write_run(tmp_path / name, res)


def test_report_heatmap_table_and_curves_equal_results(tmp_path: Path, figures):
    run = load_run(planted_run(tmp_path))
    page = run_page(run)
    M = np.vstack([INITIAL, R])
    image = figures["accuracy_matrix"].axes[0].images[0]
    np.testing.assert_allclose(np.ma.getdata(image.get_array()), M)
    table = next(
        b
        for s in page.sections
        for b in s.blocks
        if getattr(b, "caption", "").startswith("accuracy matrix")
    )
    shown = [[float(re.sub(r"[^\d.]", "", c)) for c in row[1:]] for row in table.rows]
    np.testing.assert_allclose(shown, M, atol=5e-4)
    # marks: R[2][0] = 0.1 is at or below chance (1/6); R[1][2] = 0.2 above chance 1/6 but
    # below the majority class (0.5)
    assert table.rows[3][1].endswith("*") and table.rows[2][3].endswith("°")
    assert not table.rows[1][1].endswith(("*", "°"))  # 0.9 learned
    ax_curves, ax_bars = figures["forgetting_curves"].axes[:2]
    solid = [line for line in ax_curves.lines if line.get_linestyle() == "-"]
    for j, line in enumerate(solid):  # task j from its stage on: R[j:, j]
        np.testing.assert_allclose(line.get_ydata(), np.asarray(R)[j:, j])
    heights = [p.get_height() for p in ax_bars.patches]
    np.testing.assert_allclose(heights, forgetting_by_distance(R))
    notes = next(b for b in page.sections[0].blocks if getattr(b, "header", [None])[0] == "metric")
    fwt = next(row for row in notes.rows if row[0] == "fwt")
    assert fwt[1] == "n/a" and fwt[3] == "undefined for classifier learners: planted"


def test_show_prints_the_matrix_and_metrics_of_results(tmp_path: Path):
    from forgetlab.cli.show import show_results

    path = planted_run(tmp_path)
    results = ResultsFile.model_validate_json((path / "results.json").read_text())
    console = Console(record=True, width=220)
    show_results(results, path, console)
    text = console.export_text()
    rows = {}
    for line in text.splitlines():
        m = re.match(r"[│|]\s*(initial|stage \d)\s*[│|](.*)", line)
        if m:
            rows[m.group(1)] = [float(x) for x in re.findall(r"\d\.\d{3}", m.group(2))]
    assert rows["initial"] == pytest.approx(INITIAL)
    for i, row in enumerate(R):
        assert rows[f"stage {i}"] == pytest.approx(row)
    assert "0.100*" in text  # R[2][0] at chance
    for name, value in results.metrics.items():
        line = next(x for x in text.splitlines() if re.search(rf"\b{name}\b", x))
        assert ("n/a" if value is None else f"{value:.3f}") in line
    assert "undefined for classifier learners" in text


def test_compare_draws_each_runs_matrix_and_seen_accuracy(tmp_path: Path, figures):
    R2 = [[0.7, 0.2, 0.05], [0.1, 0.6, 0.3], [0.0, 0.2, 0.9]]
    runs = [load_run(planted_run(tmp_path, "a")), load_run(planted_run(tmp_path, "b", R2))]
    compare_mod.compare_page(runs)
    for ax, matrix in zip(figures["compare_matrices"].axes, (R, R2)):
        np.testing.assert_allclose(
            np.ma.getdata(ax.images[0].get_array()), np.vstack([INITIAL, matrix])
        )
    lines = figures["compare_seen_accuracy"].axes[0].lines
    for line, matrix in zip(lines, (R, R2)):
        M = np.asarray(matrix)
        np.testing.assert_allclose(line.get_ydata(), [M[i, : i + 1].mean() for i in range(3)])
    table = compare_mod.compare_metrics(runs)
    assert table.loc["average_accuracy", "a"] == pytest.approx(
        runs[0].results["metrics"]["average_accuracy"]
    )
    assert np.isnan(table.loc["fwt", "a"])  # null in results: n/a, not 0
    note = "undefined for classifier learners: planted"
    assert compare_mod.metric_notes(runs) == [("a", "fwt", note), ("b", "fwt", note)]
