"""`forgetlab report DIR...`: tell runs from sweeps by their files and write their reports.

write_reports([Path("runs/a")])                          # runs/a/report.html
write_reports([Path("runs/a"), Path("runs/b")])          # one report.html in each
write_reports([Path("runs/a"), Path("runs/b")], Path("both.html"))   # one page after another

A run directory has `results.json`; a multi-seed run `seeds.json` (and the sweep files); a
sweep directory has `cells.json` (or `sweep.toml`).
"""

from __future__ import annotations

from pathlib import Path

from forgetlab.errors import RunDirError
from forgetlab.output_paths import check_report_file
from forgetlab.reports.page import Page, slugify, write_pages
from forgetlab.reports.run_data import load_run
from forgetlab.reports.run_report import run_page, write_run_report
from forgetlab.reports.seeds_report import SUMMARY as SEEDS_SUMMARY
from forgetlab.reports.seeds_report import load_summary, seeds_page, write_seeds_report
from forgetlab.reports.sweep_report import load_sweep_page, write_sweep_report


def report_kind(path: Path) -> str:
    """'run', 'seeds' or 'sweep', from the files present; RunDirError naming the directory
    otherwise."""
    if (path / "results.json").is_file():
        return "run"
    if (path / SEEDS_SUMMARY).is_file():
        return "seeds"
    if (path / "cells.json").is_file() or (path / "sweep.toml").is_file():
        return "sweep"
    if not path.is_dir():
        raise RunDirError(f"{str(path)!r} is not a directory")
    raise RunDirError(
        f"{str(path)!r} has neither results.json (a run) nor cells.json/sweep.toml (a sweep)"
    )


def write_reports(dirs: list[Path], out: Path | None = None) -> list[Path]:
    """One report per directory, or with `out` and several directories one combined page."""
    kinds = [report_kind(Path(d)) for d in dirs]  # check every directory before writing
    # and every output path, so that nothing is written if one is bad. A run's own report may
    # go inside it; a page of several runs goes outside every run.
    if out is None:
        for d in dirs:
            check_report_file(Path(d) / "report.html", sources=[d])
    else:
        check_report_file(Path(out), sources=dirs if len(dirs) == 1 else [])
    if out is None or len(dirs) == 1:
        writers = {
            "run": write_run_report,
            "sweep": write_sweep_report,
            "seeds": write_seeds_report,
        }
        return [writers[k](d, out) for k, d in zip(kinds, dirs)]
    pages: list[Page] = []
    for i, (kind, d) in enumerate(zip(kinds, dirs)):
        slug = f"r{i}-{slugify(Path(d).resolve().name)}"
        if kind == "run":
            pages.append(run_page(load_run(d), slug=slug))
        elif kind == "seeds":
            page = seeds_page(load_summary(Path(d)), Path(d), Path(out).parent)
            page.slug = slug
            pages.append(page)
        else:
            pages.append(load_sweep_page(d, Path(out).parent, slug=slug))
    return [write_pages(pages, Path(out), title=f"forgetlab: {len(pages)} reports")]
