"""Reports: self-contained HTML pages (and PNG figures) for runs, sweeps and comparisons.

from forgetlab.reports import write_run_report, write_sweep_report, sweep_page
write_run_report("runs/quickstart/20261121-101010")   # -> DIR/report.html, DIR/figures/*.png
write_sweep_report("runs/sweeps/dup")                 # via forgetlab.load_sweep
page = sweep_page(cells_dataframe, ["transform.0.factor", "seed"])   # any cells table
"""

from __future__ import annotations

from forgetlab.reports.compare import compare_metrics, write_compare_report
from forgetlab.reports.dispatch import write_reports
from forgetlab.reports.run_data import load_run
from forgetlab.reports.run_report import run_page, write_run_report
from forgetlab.reports.sweep_report import sweep_page, write_sweep_report

__all__ = [
    "compare_metrics",
    "load_run",
    "run_page",
    "sweep_page",
    "write_compare_report",
    "write_reports",
    "write_run_report",
    "write_sweep_report",
]
