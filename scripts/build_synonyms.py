#!/usr/bin/env python
"""Build src/forgetlab/data/wordnet_synonyms.tsv.gz, the synonym table of the `synonym`
perturbation (dataset inference), from the WordNet 3.0 database files.

The bundled gloss file keeps only the first word of each synset, so synonyms come from the
database itself (Debian package ``wordnet-base``, installed in /usr/share/wordnet):

    for each single lowercase word w of index.noun/verb/adj/adv, with a tagged sense
    (tagsense_cnt > 0) and not an English stop word (scikit-learn's list):
        take w's most frequent sense: the first synset of the part of speech whose
        tagsense_cnt is highest (ties: noun, verb, adj, adv);
        its other single lowercase words are w's synonyms (at most 3, in synset order).

One row per word that has at least one synonym: ``word<TAB>syn1,syn2,...``, sorted by word.
The gzip stream has mtime 0 and a fixed name, so the same input gives the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import io
import re
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT = REPO_ROOT / "src" / "forgetlab" / "data" / "wordnet_synonyms.tsv.gz"
POS = (("n", "noun"), ("v", "verb"), ("a", "adj"), ("r", "adv"))
WORD = re.compile(r"^[a-z]+$")
MAX_SYNONYMS = 3


def synset_words(data_file: Path) -> dict[int, list[str]]:
    """offset -> the synset's words (adjective markers such as (a) removed), in order."""
    out: dict[int, list[str]] = {}
    with data_file.open(encoding="utf-8") as f:
        for line in f:
            if line.startswith("  ") or not line.strip():
                continue
            fields = line.split(" | ")[0].split()
            count = int(fields[3], 16)
            words = [re.sub(r"\(\w+\)$", "", fields[4 + 2 * i]) for i in range(count)]
            out[int(fields[0])] = words
    return out


def first_senses(index_file: Path) -> dict[str, tuple[int, int]]:
    """word -> (tagsense_cnt, offset of its first, most frequent, synset)."""
    out: dict[str, tuple[int, int]] = {}
    with index_file.open(encoding="utf-8") as f:
        for line in f:
            if line.startswith("  "):
                continue
            fields = line.split()
            synset_cnt, p_cnt = int(fields[2]), int(fields[3])
            tagged = int(fields[5 + p_cnt])
            offsets = fields[6 + p_cnt : 6 + p_cnt + synset_cnt]
            out[fields[0]] = (tagged, int(offsets[0]))
    return out


def build_table(wordnet_dir: Path, stop_words: frozenset[str]) -> list[tuple[str, list[str]]]:
    best: dict[str, tuple[int, int, str]] = {}  # word -> (-tagged, pos rank, pos letter+offset)
    synsets: dict[str, dict[int, list[str]]] = {}
    for rank, (letter, name) in enumerate(POS):
        synsets[letter] = synset_words(wordnet_dir / f"data.{name}")
        for word, (tagged, offset) in first_senses(wordnet_dir / f"index.{name}").items():
            if tagged == 0 or not WORD.match(word) or word in stop_words:
                continue
            key = (-tagged, rank, f"{letter}{offset}")
            if word not in best or key < best[word]:
                best[word] = key
    rows = []
    for word in sorted(best):
        ref = best[word][2]
        words = synsets[ref[0]][int(ref[1:])]
        syns = [w for w in dict.fromkeys(words) if w != word and WORD.match(w)]
        if syns:
            rows.append((word, syns[:MAX_SYNONYMS]))
    return rows


def write_tsv_gz(rows: list[tuple[str, list[str]]], out: Path) -> None:
    text = "word\tsynonyms\n" + "".join(f"{w}\t{','.join(s)}\n" for w, s in rows)
    tmp = out.with_name(out.name + ".tmp")
    with (
        tmp.open("wb") as raw,
        gzip.GzipFile(
            filename="wordnet_synonyms.tsv", mode="wb", fileobj=raw, compresslevel=9, mtime=0
        ) as gz,
    ):
        gz.write(text.encode("utf-8"))
    tmp.replace(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wordnet-dir", type=Path, default=Path("/usr/share/wordnet"))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not (args.wordnet_dir / "index.noun").is_file():
        print(f"error: no WordNet database in {args.wordnet_dir} (apt install wordnet-base)")
        return 1
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    rows = build_table(args.wordnet_dir, frozenset(ENGLISH_STOP_WORDS))
    write_tsv_gz(rows, args.out)
    print(f"wrote {args.out}: {len(rows):,} words ({args.out.stat().st_size:,} bytes)")
    buf = io.StringIO()
    for word in ("dog", "car", "big", "quickly", "run"):
        hit = dict(rows).get(word)
        buf.write(f"  {word} -> {hit}\n")
    sys.stdout.write(buf.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
