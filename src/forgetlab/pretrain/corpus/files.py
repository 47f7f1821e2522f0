"""`files`: local text. `.txt`: every non-empty line is a document; `.jsonl`: the `text_field`
of every record.

[corpus]
kind = "files"
paths = ["data/wiki.txt", "data/more.jsonl"]   # relative to the spec file
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from forgetlab.errors import DataError
from forgetlab.pretrain.corpus import Corpus, HeldoutFraction, corpora, split_documents
from forgetlab.spec.base import SpecModel


class FilesCorpusSpec(SpecModel):
    kind: Literal["files"] = "files"
    paths: Annotated[list[Path], Field(min_length=1)] = Field(
        description=".txt (a document per line) or .jsonl files"
    )
    text_field: str = Field("text", description="the field of each JSONL record holding text")
    heldout_fraction: HeldoutFraction = Field(0.02, description="documents held out, by hash")


def read_documents(path: Path, text_field: str) -> list[str]:
    """Documents of one file, with errors naming the file (and line)."""
    if not path.is_file():
        raise DataError(f"corpus file {str(path)!r} does not exist")
    try:
        raw = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError(f"corpus file {str(path)!r} is not UTF-8 text (byte {e.start})") from None
    suffix = path.suffix.lower()
    if suffix == ".txt":
        return [line for line in raw.splitlines() if line.strip()]
    if suffix != ".jsonl":
        raise DataError(f"corpus file {str(path)!r}: unsupported type {suffix!r} (.txt, .jsonl)")
    docs = []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataError(f"{path}:{n}: invalid JSON ({e.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get(text_field), str):
            raise DataError(f"{path}:{n}: no text field {text_field!r}")
        docs.append(row[text_field])
    return docs


@corpora.register("files", help="local .txt (a document per line) and .jsonl files")
class FilesCorpus:
    Spec = FilesCorpusSpec

    @staticmethod
    def build(spec: FilesCorpusSpec) -> Corpus:
        docs = [d for p in spec.paths for d in read_documents(Path(p), spec.text_field)]
        info = {"kind": "files", "paths": [str(p) for p in spec.paths]}
        return split_documents(docs, spec.heldout_fraction, "files", info)
