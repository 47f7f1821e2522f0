"""The building blocks of a report page and their rendering to one self-contained HTML file.

page = Page(title="run tiny", sections=[Section("metrics", "Metrics", [Table(...), figure])])
write_pages([page], Path("runs/tiny/report.html"))   # also writes runs/tiny/figures/*.png

Figures are PNG bytes made with matplotlib (the object-oriented API, Agg canvas: no display
and no pyplot state); the HTML embeds them as base64 data URIs, with inline CSS and no
JavaScript, so the page opens offline and can be mailed as one file.
"""

from __future__ import annotations

import base64
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import jinja2
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure

from forgetlab.fileio import atomic_write

DPI = 150  # PNGs for papers; the page shows them at their size in inches (96 px per inch)


@dataclass
class Figure:
    """One plot: its file name stem, PNG bytes, caption and size in inches."""

    kind: ClassVar[str] = "figure"
    name: str
    png: bytes
    caption: str
    width_in: float

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass
class Table:
    """A small table: header cells and rows of already formatted strings."""

    kind: ClassVar[str] = "table"
    header: list[str]
    rows: list[list[str | Link]]
    caption: str = ""


@dataclass
class Link:
    """A table cell that links to a relative path (e.g. a cell's own run report)."""

    text: str
    href: str

    def __str__(self) -> str:
        return self.text


@dataclass
class Text:
    """A paragraph of plain text (escaped when rendered)."""

    kind: ClassVar[str] = "text"
    text: str


@dataclass
class Code:
    """Preformatted text (e.g. the resolved spec), folded under a summary line."""

    kind: ClassVar[str] = "code"
    summary: str
    text: str


@dataclass
class Section:
    """A titled part of a page; `id` is its HTML anchor."""

    id: str
    title: str
    blocks: list[Figure | Table | Text | Code] = field(default_factory=list)


@dataclass
class Page:
    """One report: a title, a subtitle line and its sections."""

    title: str
    subtitle: str
    sections: list[Section]
    slug: str = ""  # prefix of anchors and figure files when several pages share one file

    def figures(self) -> list[Figure]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure)]


def render_figure(fig: MplFigure, name: str, caption: str) -> Figure:
    """Render a matplotlib figure to PNG bytes (Agg canvas) and wrap it."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
    width_in = fig.get_size_inches()[0]
    return Figure(name=name, png=buf.getvalue(), caption=caption, width_in=float(width_in))


def fmt(value: Any, digits: int = 3) -> str:
    """A table cell: floats rounded, None/NaN as n/a, ints with thousands separators."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.{digits}f}"
    return str(value)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "page"


_NUMERIC = re.compile(r"^(n/a|[-+]?[\d,]*\.?\d+(e[-+]?\d+)?( ?[%s]| ± [\d.]+)?)$")


def is_numeric(cell: str) -> bool:
    """Cells right-aligned in tables: numbers (with separators, %, s, ± x) and n/a."""
    return bool(_NUMERIC.match(str(cell)))


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("forgetlab.reports", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.tests["numeric"] = is_numeric


def render_html(pages: Sequence[Page], title: str) -> str:
    """The whole HTML document for `pages` (one page, or several one after the other)."""
    return _ENV.get_template("report.html.j2").render(
        title=title,
        pages=pages,
        px_per_in=96,
    )


def write_pages(pages: Sequence[Page], out: Path, title: str | None = None) -> Path:
    """Write `out` (HTML) and every figure as OUT_DIR/figures/[SLUG/]NAME.png; return `out`."""
    out = Path(out)
    for page in pages:
        folder = out.parent / "figures" / page.slug if page.slug else out.parent / "figures"
        for fig in page.figures():
            atomic_write(folder / f"{fig.name}.png", fig.png)
    atomic_write(out, render_html(pages, title or pages[0].title))
    return out
