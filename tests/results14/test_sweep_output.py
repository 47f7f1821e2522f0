"""Sweeps end with report.html titled by the sweep's name; categorical axes keep the order of
the sweep file; every cell's log holds its plain stage lines."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from tests.sweeps.helpers import cli, toy_base, write  # noqa: F401


def test_sweep_writes_its_report_in_the_written_order(
    tmp_path: Path, toy_files, capsys, monkeypatch
):
    import forgetlab.reports.figures_sweep as figures_sweep
    import forgetlab.sweeps.runner as runner

    monkeypatch.setattr(runner, "REPORT_BY_DEFAULT", True)  # as outside the test suite
    drawn: dict = {}
    real = figures_sweep.render_figure

    def capture(fig, name, caption):
        drawn[name] = fig
        return real(fig, name, caption)

    monkeypatch.setattr(figures_sweep, "render_figure", capture)
    # "mean" before "cls": sorted, they would swap
    sweep = write(
        tmp_path / "pool.toml",
        {
            "name": "pooling-2x",
            "base": toy_base(*toy_files),
            "axes": {"model.pooling": ["mean", "cls"]},
        },
    )
    out = tmp_path / "out"
    code, stdout, err = cli(capsys, "sweep", str(sweep), "--out", str(out), "--quiet")
    assert code == 0, err
    html = (out / "report.html").read_text()
    assert re.search(r"<title>[^<]*forgetlab sweep: pooling-2x", html)
    fig = (
        drawn["axis_model-pooling"]
        if "axis_model-pooling" in drawn
        else next(f for n, f in drawn.items() if n.startswith("axis_"))
    )
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["mean", "cls"]
    # the summary table of the page lists the configurations in the same order
    assert html.index(">mean<") < html.index(">cls<")
    grouped = pd.read_csv(out / "grouped.csv")
    assert grouped["model.pooling"].tolist() == ["mean", "cls"]
    # the cells' logs are not empty: the plain line of each stage
    for cell in ("c000", "c001"):
        log = (out / "logs" / f"{cell}.log").read_text()
        assert re.search(r"^stage 0 leisure: \d+ steps, loss [\d.]+, acc ", log, re.M), log
        assert re.search(r"^stage 1 home: ", log, re.M)


def test_sweep_report_can_be_turned_off(tmp_path: Path, toy_files):
    from forgetlab.sweeps import load_sweep_spec, run_sweep

    spec = load_sweep_spec(
        write(tmp_path / "s.toml", {"name": "off", "base": toy_base(*toy_files)})
    )
    sweep = run_sweep(spec, out=tmp_path / "out", report=False)
    assert (sweep.dir / "summary.csv").is_file() and not (sweep.dir / "report.html").exists()
