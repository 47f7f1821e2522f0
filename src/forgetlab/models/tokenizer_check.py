"""Does the tokenizer fit the model and the data? Refuse a run that would train on [UNK]s.

    check_tokenizer(spec, backbone, tokenizer, texts)   # SpecError naming the folder, or None

A local model folder saved without its tokenizer loads without complaint in transformers (a
BERT folder gets a near-empty vocabulary and every word becomes [UNK]), and the run then trains
at chance. Refused here, at `forgetlab validate` and before a run writes anything:

- a local model folder without tokenizer files (`TOKENIZER_FILES`);
- a tokenizer whose vocabulary is less than half the model's embedding rows
  (`MIN_VOCAB_FRACTION`; registered models are built to fit and are not checked);
- a tokenizer that maps most tokens of a data sample to its unknown token: more than
  `MAX_UNK_SHARE` of the tokens of the first `UNK_SAMPLE` training texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forgetlab.errors import SpecError

if TYPE_CHECKING:
    from forgetlab.spec.experiment import ModelSpec

# a file that holds a vocabulary (tokenizer_config.json alone does not)
TOKENIZER_FILES = (
    "tokenizer.json",
    "vocab.txt",
    "vocab.json",
    "spiece.model",
    "tokenizer.model",
    "sentencepiece.bpe.model",
)
MIN_VOCAB_FRACTION = 0.5
MAX_UNK_SHARE = 0.5
UNK_SAMPLE = 200


def local_folder(spec: ModelSpec) -> Path | None:
    """The model's local directory, or None for registered and hub models."""
    from forgetlab.models.zoo import models, resolved

    if spec.name in models:
        return None
    path = Path(resolved(spec)[0]).expanduser()
    return path if path.is_dir() else None


def check_tokenizer_files(spec: ModelSpec) -> None:
    folder = local_folder(spec)
    if folder is not None and not any((folder / f).is_file() for f in TOKENIZER_FILES):
        raise SpecError(
            f"model directory {spec.name!r} has no tokenizer files ({', '.join(TOKENIZER_FILES)})"
            "; save the tokenizer beside the model (tokenizer.save_pretrained(folder))"
        )


def unknown_share(tokenizer: Any, texts: Sequence[str]) -> float:
    """Share of the tokens of `texts` that are the tokenizer's unknown token (0 without one)."""
    unk = getattr(tokenizer, "unk_token_id", None)
    if unk is None or not texts:
        return 0.0
    ids = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
    total = sum(len(x) for x in ids)
    return sum(t == unk for x in ids for t in x) / total if total else 0.0


def check_tokenizer(
    spec: ModelSpec, backbone: Any, tokenizer: Any, texts: Sequence[str] = ()
) -> None:
    """SpecError naming the model when its tokenizer is missing, far too small for its
    embedding, or unknowing of most tokens of `texts` (module docstring)."""
    from forgetlab.models.fit import input_embedding_rows
    from forgetlab.models.zoo import models

    check_tokenizer_files(spec)
    if tokenizer is None:
        return
    rows = input_embedding_rows(backbone) if backbone is not None else None
    n = len(tokenizer)
    if spec.name not in models and rows and n < MIN_VOCAB_FRACTION * rows:
        raise SpecError(
            f"model {spec.name!r}: its tokenizer has {n} tokens but the model embeds {rows}; "
            "the tokenizer does not belong to this model (save the model's own tokenizer "
            "beside it)"
        )
    share = unknown_share(tokenizer, list(texts)[:UNK_SAMPLE])
    if share > MAX_UNK_SHARE:
        raise SpecError(
            f"model {spec.name!r}: {share:.0%} of the tokens of the first "
            f"{min(len(texts), UNK_SAMPLE)} training texts are unknown "
            f"({tokenizer.unk_token}); the tokenizer does not fit this model or data"
        )


def sample_texts(stream) -> list[str]:
    """The first `UNK_SAMPLE` training texts of the stream, in task order."""
    out: list[str] = []
    for task in stream.tasks:
        out += [ex.text for ex in task.train[: UNK_SAMPLE - len(out)]]
        if len(out) >= UNK_SAMPLE:
            break
    return out
