"""`hf`: a Hugging Face dataset through `datasets.load_dataset` (a hub name with network, or a
builder such as "text" / "json" with `data_files` offline).

[corpus]
kind = "hf"
path = "wikitext"
config_name = "wikitext-103-raw-v1"
split = "train"
text_column = "text"
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt

from forgetlab.errors import DataError
from forgetlab.pretrain.corpus import Corpus, HeldoutFraction, corpora, split_documents
from forgetlab.spec.base import SpecModel


class HFCorpusSpec(SpecModel):
    kind: Literal["hf"] = "hf"
    path: str = Field(description="dataset on the hub (e.g. 'wikitext') or a builder ('text')")
    config_name: str | None = Field(None, description="the dataset's configuration name")
    data_files: dict[str, str] | str | list[str] | None = Field(None, description="for builders")
    revision: str | None = None
    split: str = "train"
    text_column: str = "text"
    max_documents: PositiveInt | None = Field(None, description="keep the first N documents")
    heldout_fraction: HeldoutFraction = Field(0.02, description="documents held out, by hash")


@corpora.register("hf", help="a Hugging Face dataset (datasets.load_dataset)")
class HFCorpus:
    Spec = HFCorpusSpec

    @staticmethod
    def build(spec: HFCorpusSpec) -> Corpus:
        import datasets

        try:
            ds = datasets.load_dataset(
                spec.path,
                spec.config_name,
                data_files=spec.data_files,
                revision=spec.revision,
                split=spec.split,
            )
        except Exception as e:  # noqa: BLE001  datasets raises many kinds; one line
            first = (str(e).strip().splitlines() or [""])[0]
            raise DataError(f"corpus dataset {spec.path!r}: {type(e).__name__}: {first}") from None
        if spec.text_column not in ds.column_names:
            raise DataError(
                f"corpus dataset {spec.path!r} has no column {spec.text_column!r} "
                f"(have {ds.column_names})"
            )
        if spec.max_documents is not None:
            ds = ds.select(range(min(spec.max_documents, len(ds))))
        docs = [str(t) for t in ds[spec.text_column]]
        info = {"kind": "hf", "path": spec.path, "config_name": spec.config_name}
        return split_documents(docs, spec.heldout_fraction, spec.path, info)
