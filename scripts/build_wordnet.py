#!/usr/bin/env python
"""Build src/forgetlab/data/wordnet_glosses.tsv.gz from the WordNet 3.0 database files.

Reads data.noun, data.verb, data.adj and data.adv (Debian package ``wordnet-base``
installs them in /usr/share/wordnet) and writes one row per synset:

    id          pos letter of the data file (n, v, a, r) + 8-digit synset offset
    label       lexicographer category name (``LEXNAMES[lex_filenum]``), e.g. noun.animal
    lemma       first word of the synset, underscores -> spaces, adjective syntactic
                marker such as ``(a)``, ``(p)``, ``(ip)`` removed
    gloss       text after `` | ``, whitespace-normalised

The output is a gzip stream with mtime 0 and a fixed file name in its header, so
that the same input gives the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import io
import re
import sys
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "src"))

from forgetlab.data.wordnet import DATA_PATH, LEXNAMES, TSV_HEADER  # noqa: E402

EXPECTED_TOTAL = 117_659
POS_FILES: tuple[tuple[str, str], ...] = (
    ("n", "data.noun"),
    ("v", "data.verb"),
    ("a", "data.adj"),
    ("r", "data.adv"),
)
# In data.adj a word may carry a syntactic marker: (a) prenominal, (p) predicate,
# (ip) immediately postnominal.
_ADJ_MARKER = re.compile(r"\((?:a|p|ip)\)$")
_WS = re.compile(r"\s+")


def _clean(text: str) -> str:
    """Collapse all whitespace (tabs, newlines included) to single spaces."""
    return _WS.sub(" ", text).strip()


def parse_data_file(path: Path, pos: str) -> list[tuple[int, str, str, str, str]]:
    """Return (offset, id, label, lemma, gloss) for each synset line of one data file."""
    rows: list[tuple[int, str, str, str, str]] = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if line.startswith("  "):  # license header
                continue
            line = line.rstrip("\n")
            if not line.strip():
                continue
            head, sep, gloss = line.partition(" | ")
            fields = head.split()
            if len(fields) < 6:
                raise ValueError(f"{path}:{lineno}: malformed synset line: {line[:80]!r}")
            offset_s, lex_filenum_s, ss_type, w_cnt_s = fields[:4]
            if len(offset_s) != 8 or not offset_s.isdigit():
                raise ValueError(f"{path}:{lineno}: bad synset offset {offset_s!r}")
            lex_filenum = int(lex_filenum_s, 10)
            if not 0 <= lex_filenum < len(LEXNAMES):
                raise ValueError(f"{path}:{lineno}: bad lex_filenum {lex_filenum_s!r}")
            if int(w_cnt_s, 16) < 1:
                raise ValueError(f"{path}:{lineno}: synset without words")
            expected_ss = ("a", "s") if pos == "a" else (pos,)
            if ss_type not in expected_ss:
                raise ValueError(f"{path}:{lineno}: ss_type {ss_type!r} in a {pos!r} file")
            label = LEXNAMES[lex_filenum]
            lemma = fields[4]
            if pos == "a":
                lemma = _ADJ_MARKER.sub("", lemma)
            lemma = _clean(lemma.replace("_", " "))
            gloss = _clean(gloss) if sep else ""
            if not lemma:
                raise ValueError(f"{path}:{lineno}: empty lemma")
            rows.append((int(offset_s), f"{pos}{offset_s}", label, lemma, gloss))
    rows.sort(key=lambda r: r[0])
    return rows


def build_rows(wordnet_dir: Path) -> list[tuple[str, str, str, str]]:
    out: list[tuple[str, str, str, str]] = []
    for pos, name in POS_FILES:
        path = wordnet_dir / name
        if not path.is_file():
            raise FileNotFoundError(f"WordNet data file not found: {path}")
        out.extend(r[1:] for r in parse_data_file(path, pos))
    return out


def write_tsv_gz(rows: list[tuple[str, str, str, str]], out: Path) -> None:
    buf = io.StringIO()
    buf.write("\t".join(TSV_HEADER) + "\n")
    for row in rows:
        for field in row:
            if "\t" in field or "\n" in field or "\r" in field:
                raise ValueError(f"field contains a tab or newline: {field!r}")
        buf.write("\t".join(row) + "\n")
    data = buf.getvalue().encode("utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    # Fixed name and mtime=0 in the gzip header -> reproducible bytes.
    with (
        tmp.open("wb") as raw,
        gzip.GzipFile(
            filename="wordnet_glosses.tsv", mode="wb", fileobj=raw, compresslevel=9, mtime=0
        ) as gz,
    ):
        gz.write(data)
    tmp.replace(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wordnet-dir", type=Path, default=Path("/usr/share/wordnet"))
    parser.add_argument("--out", type=Path, default=DATA_PATH)
    parser.add_argument(
        "--allow-any-count",
        action="store_true",
        help=f"do not fail when the synset count differs from {EXPECTED_TOTAL}",
    )
    args = parser.parse_args(argv)

    rows = build_rows(args.wordnet_dir)
    ids = [r[0] for r in rows]
    if len(set(ids)) != len(ids):
        raise SystemExit("error: duplicate synset ids")

    counts = Counter(r[1] for r in rows)
    for label in LEXNAMES:
        print(f"{label:<22}{counts.get(label, 0):>8,}")
    print(f"{'total':<22}{len(rows):>8,}  ({len(counts)} labels)")

    if len(rows) != EXPECTED_TOTAL and not args.allow_any_count:
        print(
            f"error: expected {EXPECTED_TOTAL:,} synsets (WordNet 3.0), got {len(rows):,}; "
            "pass --allow-any-count to accept",
            file=sys.stderr,
        )
        return 1

    write_tsv_gz(rows, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
