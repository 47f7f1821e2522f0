"""Run reports: every section and figure, the numbers they show, and skipping absent data."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
from markupsafe import escape as html_escape
from matplotlib.figure import Figure as MplFigure

from forgetlab.errors import RunDirError
from forgetlab.metrics.distance import forgetting_by_distance
from forgetlab.reports import write_run_report
from forgetlab.reports.figures_run import annotate_matrix
from forgetlab.reports.page import write_pages
from forgetlab.reports.run_data import load_run, short_task_labels
from forgetlab.reports.run_report import general_series, groups_section, run_page
from tests.reports.helpers import (
    P0_LINEAR,
    P_LINEAR,
    P_PROTO,
    probing_dict,
    results_dict,
    write_run,
)

PNG = b"\x89PNG\r\n\x1a\n"


def images(html: str) -> dict[str, bytes]:
    """id -> decoded PNG bytes of every embedded <img>."""
    found = re.findall(r'<img id="([^"]+)"[^>]*src="data:image/png;base64,([^"]+)"', html)
    return {i: base64.b64decode(b) for i, b in found}


def section_ids(html: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)"', html)


def table_rows(page, section_id: str, k: int = 0) -> list[list[str]]:
    section = next(s for s in page.sections if s.id == section_id)
    return [[str(c) for c in r] for r in [b for b in section.blocks if b.kind == "table"][k].rows]


def test_tiny_run_report_has_every_figure_embedded_and_as_png(tiny_run: Path):
    out = write_run_report(tiny_run)
    assert out == tiny_run / "report.html"
    html = out.read_text()
    assert section_ids(html) == ["accuracy", "forgetting", "confusion", "cost", "summary"]
    imgs = images(html)
    last = len(json.loads((tiny_run / "results.json").read_text())["tasks"]) - 1
    assert set(imgs) == {
        "fig-accuracy_matrix",
        "fig-forgetting_curves",
        f"fig-confusion_stage_{last:03d}",
        "fig-stage_time",
    }
    for fig_id, png in imgs.items():
        assert png.startswith(PNG)
        assert (tiny_run / "figures" / f"{fig_id[4:]}.png").read_bytes() == png
    res = json.loads((tiny_run / "results.json").read_text())
    for name, value in res["metrics"].items():  # the metrics table: every figure, 3 decimals
        assert f">{'n/a' if value is None else f'{value:.3f}'}<" in html
        if name in res["metric_notes"]:  # e.g. fwt of a classifier: null, with the reason
            assert str(html_escape(res["metric_notes"][name])) in html
    # self-contained: no scripts, no external resources
    assert "<script" not in html and not re.search(r'(src|href)="(https?:)?//', html)


def test_heatmap_writes_each_value_and_bolds_the_learned_diagonal():
    fig = MplFigure()
    ax = fig.add_subplot()
    M = np.array([[0.5, 0.25], [0.875, np.nan], [0.0, 1.0]])
    annotate_matrix(
        ax, M, ["initial", "after t0", "after t1"], ["t0", "t1"], "R", diagonal_offset=1
    )
    texts = [(t.get_text(), t.get_fontweight()) for t in ax.texts]
    assert [t for t, _ in texts] == ["0.50", "0.25", "0.88", "–", "0.00", "1.00"]
    bold = [t for t, w in texts if w == "bold"]
    assert bold == ["0.88", "1.00"]  # R[0][0] and R[1][1], one row below the initial row


def test_forgetting_by_distance_is_the_mean_drop_d_stages_later():
    R = np.array([[0.9, 0.0, 0.0], [0.5, 0.8, 0.0], [0.3, 0.6, 0.7]])
    # d=1: (0.9-0.5 + 0.8-0.6)/2 = 0.3 ; d=2: 0.9-0.3 = 0.6
    assert forgetting_by_distance(R) == pytest.approx([0.3, 0.6])
    assert forgetting_by_distance(np.array([[0.9]])).size == 0


def test_task_labels_are_short():
    assert short_task_labels(["t0:adj.all+noun.food", "sports", "a_rather_long_task_name"]) == [
        "t0",
        "sports",
        "task 2",
    ]


def test_probing_section_shows_probes_with_their_baselines(tiny_run_with_probing: Path):
    page = run_page(load_run(tiny_run_with_probing))
    html = write_pages([page], tiny_run_with_probing / "report.html").read_text()
    assert section_ids(html) == [
        "accuracy",
        "forgetting",
        "confusion",
        "groups",
        "probing",
        "cost",
        "summary",
    ]
    assert {"fig-probing_matrices", "fig-probing_kinds", "fig-probing_layers",
            "fig-representation"} <= set(images(html))  # fmt: skip
    rows = table_rows(page, "probing")
    # after the last stage, every column over the same old tasks (t0, t1): R, P linear
    # (0.8+0.7)/2, P0 (0.6+0.5)/2, and the gaps are exactly their differences
    R = load_run(tiny_run_with_probing).R
    r_old = (R[2][0] + R[2][1]) / 2
    linear = next(r for r in rows if r[0] == "linear")
    assert linear[1] == "1"  # best layer of the last stage
    assert linear[2:8] == [
        f"{r_old:.3f}",
        "0.750",
        "0.750",
        "0.550",
        f"{0.75 - r_old:.3f}",
        "0.200",
    ]
    assert linear[8:10] == ["+1 -0 of 2", "+1 -0 of 2"]  # p < 0.05 on t0 only, both tests
    proto = next(r for r in rows if r[0] == "prototype")
    assert proto[3] == f"{(P_PROTO[2][0] + P_PROTO[2][1]) / 2:.3f}"
    assert proto[8:10] == ["n/a", "n/a"]  # recorded without paired tests
    tables = [b for s in page.sections if s.id == "probing" for b in s.blocks if b.kind == "table"]
    per_task = tables[1]
    assert per_task.header[:4] == ["task", "R", "P [95% interval]", "P0 [95% interval]"]
    assert per_task.rows[0][:4] == [
        "t0",
        f"{R[2][0]:.3f}",
        "0.800 [0.750, 0.850]",
        "0.600 [0.560, 0.640]",
    ]
    assert per_task.rows[0][4] == "+0.700 [+0.600, +0.800], p=0.001"
    assert [r[0] for r in per_task.rows] == ["t0", "t1"]
    assert P0_LINEAR[2][0] == 0.6 and P_LINEAR[2][1] == 0.7
    assert "fig-probing_intervals" in images(html)
    # probing seconds land in the per-stage cost table
    cost = next(
        b for b in next(s for s in page.sections if s.id == "cost").blocks if b.kind == "table"
    )
    col = cost.header.index("probing s")
    assert [r[col] for r in cost.rows] == ["1.0", "1.5", "2.0"]


def test_group_accuracy_table_lists_each_group_after_each_stage(tiny_run_with_probing: Path):
    run = load_run(tiny_run_with_probing)
    section = groups_section(run, short_task_labels(run.tasks))
    assert [[str(c) for c in r] for r in section.blocks[0].rows] == [
        ["t0", "head", "0.900", "0.900", "0.900"],
        ["t0", "tail", "0.000", "0.250", "0.500"],
    ]


def test_absent_sections_are_skipped_and_a_partial_run_is_labelled(tmp_path: Path):
    res = results_dict(R=[[0.9, 0.1, 0.0]], metrics={})
    res["status"] = "running"
    page = run_page(load_run(write_run(tmp_path / "r", res)))
    assert [s.id for s in page.sections] == ["accuracy", "forgetting", "cost", "summary"]
    first = page.sections[0].blocks[0]
    assert first.kind == "text" and "1 of 3 stages" in first.text


def test_offline_probing_file_is_used_when_results_have_none(tmp_path: Path):
    run_dir = write_run(tmp_path / "r", results_dict())
    (run_dir / "probing").mkdir()
    (run_dir / "probing" / "probing.json").write_text(json.dumps(probing_dict()))
    page = run_page(load_run(run_dir))
    assert "probing" in [s.id for s in page.sections]


def test_general_ability_from_either_layout(tmp_path: Path):
    res = results_dict(general={"perplexity": [30.0, 35.5, None, 40.0]})
    assert general_series(load_run(write_run(tmp_path / "a", res))) == {
        "perplexity": [30.0, 35.5, None, 40.0]
    }
    res = results_dict()
    for k, stage in enumerate(res["stages"]):
        stage["general"] = {"perplexity": 30.0 + k}
    run = load_run(write_run(tmp_path / "b", res))
    assert general_series(run) == {"perplexity": [30.0, 31.0, 32.0]}
    assert "general" in [s.id for s in run_page(run).sections]


def test_not_a_run_directory_is_a_one_line_error(tmp_path: Path):
    with pytest.raises(RunDirError, match=r"results.json' not found"):
        load_run(tmp_path)
    (tmp_path / "results.json").write_text("{not json")
    with pytest.raises(RunDirError, match=r"results.json' is not readable JSON"):
        load_run(tmp_path)
    (tmp_path / "results.json").write_text('{"tasks": []}')
    with pytest.raises(RunDirError, match="lacks accuracy_matrix"):
        load_run(tmp_path)


def test_run_writes_its_report_at_the_end(tmp_path):
    from forgetlab.experiment import run
    from forgetlab.spec import spec_from_dict
    from tests.conftest import tiny_wordnet

    d = tiny_wordnet(n_tasks=2, train_per_class=10, test_per_class=5)
    d["train"]["epochs"] = 1
    res = run(spec_from_dict(d), out=tmp_path / "run", report=True)
    html = (res.run_dir / "report.html").read_text()
    assert "<img" in html and res.results.name in html
    assert sorted(p.suffix for p in (res.run_dir / "figures").iterdir()) != []


def one_point_probing() -> dict:
    """One stage, one layer, and P0 equal to P: every line of the layer panel is one point
    and the baseline coincides with the fine-tuned line."""
    P = [[0.8, None]]
    entry = {
        "accuracy_matrix": P,
        "best_layer_accuracy_matrix": P,
        "best_layer": [2],
        "layer_accuracy": [[[0.8, None]]],
        "baseline_accuracy_matrix": P,
        "baseline_layer_accuracy": [[[0.8, None]]],
        "gap_vs_model": [[0.1, None]],
        "gap_vs_baseline": [[0.0, None]],
    }
    return {
        "layers": [2],
        "pooling": "mean",
        "probes": ["linear"],
        "accuracy_matrix": P,
        "by_probe": {"linear": entry},
        "cka": [[0.9]],
        "separability": [[2.0, None]],
        "overlap": [None],
        "baseline_separability": [1.5, 1.0],
        "baseline_overlap": [None],
        "seconds": [1.0],
        "baseline_seconds": 1.0,
    }


def test_single_points_and_a_coinciding_baseline_stay_visible():
    from forgetlab.reports.figures_probe import layer_curves_figure, probing_figures

    probing = one_point_probing()
    fig = layer_curves_figure(probing)
    lines = [ln for ln in fig.axes[0].get_lines() if len(ln.get_xdata())]
    tuned, base = lines  # one point each
    assert tuned.get_markersize() >= 6 and base.get_markersize() >= 6
    assert tuned.get_ydata()[0] == base.get_ydata()[0] == 0.8  # equal values...
    assert base.get_xdata()[0] != tuned.get_xdata()[0]  # ...drawn side by side
    assert base.get_markerfacecolor() == "white"
    names = [f.name for f in probing_figures(np.array([[0.7, 0.0]]), probing, ["t0", "t1"])]
    assert names == [
        "probing_matrices",
        "probing_intervals",
        "probing_kinds",
        "probing_layers",
        "representation",
    ]


def test_probing_summary_line_uses_the_same_tasks_for_every_number():
    from forgetlab.probing.summary import probing_summary

    text = probing_summary(probing_dict(), [[0.9, 0.1, 0.0], [0.3, 0.8, 0.2], [0.1, 0.4, 0.7]])
    # tasks 0 and 1 after stage 2: R (0.1+0.4)/2, P (0.8+0.7)/2, P0 (0.6+0.5)/2
    assert "after stage 2 on tasks 0, 1: model R 0.250, probe P 0.750, untrained P0 0.550" in text
    assert "P - R 0.500, P - P0 0.200" in text and "10 subsamples" in text
    assert "P above R on 1, below on 0, not distinguishable on 1" in text
    assert "P above P0 on 1, below on 0, not distinguishable on 1" in text
    old = probing_dict()
    for key in ("test_vs_model", "test_vs_baseline"):
        old["by_probe"]["linear"].pop(key)
    assert "P vs R: no paired tests recorded" in probing_summary(old, None)
    assert "model R n/a" in probing_summary(old, None)


def test_probing_seconds_of_stages_without_checkpoints_do_not_break_the_cost_table(
    tmp_path: Path,
):
    """`forgetlab probe` on a run with only some checkpoints records None seconds for the
    other stages; the report shows them empty instead of failing."""
    run_dir = write_run(tmp_path / "r", results_dict())
    probing = probing_dict() | {"seconds": [None, None, 2.0]}
    (run_dir / "probing").mkdir()
    (run_dir / "probing" / "probing.json").write_text(json.dumps(probing))
    page = run_page(load_run(run_dir))
    cost = next(b for s in page.sections if s.id == "cost" for b in s.blocks if b.kind == "table")
    col = cost.header.index("probing s")
    assert [r[col] for r in cost.rows] == ["", "", "2.0"]
