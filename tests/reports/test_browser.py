"""Reports open in headless Chromium: no console messages, every image decodes, the screenshot
is not blank. Needs Debian's `chromium` (`make test` installs it with apt-get when missing)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from forgetlab.reports import write_run_report
from forgetlab.reports.page import write_pages
from forgetlab.reports.sweep_report import sweep_page
from tests.reports.helpers import AXES, sweep_cells

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium not installed (make test installs it: apt-get install chromium)",
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
]
# Counts the <img> elements that decoded to a picture, once the page has loaded.
CHECK = """<script>window.addEventListener("load", () => {
  const imgs = [...document.images];
  const ok = imgs.filter(i => i.complete && i.naturalWidth > 0).length;
  document.body.setAttribute("data-images", ok + "/" + imgs.length);
});</script>"""


def chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, *FLAGS, "--virtual-time-budget=5000", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def open_in_browser(html: Path, tmp_path: Path) -> np.ndarray:
    """Screenshot `html`; assert no console output and that every image decoded."""
    shot = tmp_path / "shot.png"
    proc = chromium(f"--screenshot={shot}", "--window-size=1280,2000", html.resolve().as_uri())
    assert shot.is_file(), proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []  # the page has no scripts: any console line is an error
    n_imgs = html.read_text().count("<img ")
    probe = html.with_name("browser_check.html")
    probe.write_text(html.read_text().replace("</body>", CHECK + "</body>"))
    dom = chromium("--dump-dom", probe.resolve().as_uri()).stdout
    assert re.search(r'data-images="(\d+)/(\d+)"', dom).groups() == (str(n_imgs), str(n_imgs))
    return np.asarray(Image.open(shot).convert("L"), dtype=float)


def assert_not_blank(pixels: np.ndarray) -> None:
    assert pixels.shape == (2000, 1280)
    assert pixels.std() > 20  # a white page has std 0
    assert (pixels < 200).mean() > 0.01  # text and figures cover some of it (blank: 0)


def test_run_report_opens_in_chromium(tiny_run_with_probing: Path, tmp_path: Path):
    html = write_run_report(tiny_run_with_probing)
    # with the per-task probe intervals and the confusion figure
    assert html.read_text().count("<img ") == 9
    assert_not_blank(open_in_browser(html, tmp_path))


def test_sweep_report_opens_in_chromium(tmp_path: Path):
    html = write_pages([sweep_page(sweep_cells(), AXES)], tmp_path / "sweep" / "report.html")
    assert html.read_text().count("<img ") == 4
    assert_not_blank(open_in_browser(html, tmp_path))


def test_the_console_check_sees_errors(tmp_path: Path):
    """The check above would catch a console error (guards against a silent chromium)."""
    page = tmp_path / "bad.html"
    page.write_text("<html><body><script>console.error('boom')</script></body></html>")
    proc = chromium("--dump-dom", page.as_uri())
    assert any(":CONSOLE" in line and "boom" in line for line in proc.stderr.splitlines())
