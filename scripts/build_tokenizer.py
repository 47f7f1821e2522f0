#!/usr/bin/env python
"""Train a byte-level BPE tokenizer on WordNet glosses.

Writes src/forgetlab/data/wordnet_bpe_tokenizer.json. The training text is every
gloss and every lemma from the bundled wordnet_glosses.tsv.gz (build it first with
scripts/build_wordnet.py) plus the 45 lexicographer category names with '.' and '_'
replaced by spaces (``noun.animal`` -> ``noun animal``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "src"))

from tokenizers import Tokenizer  # noqa: E402

from forgetlab.data.wordnet import LEXNAMES, load_wordnet  # noqa: E402
from forgetlab.pretrain.tokenizer import EOS_TOKEN, PAD_TOKEN, train_bpe  # noqa: E402

DEFAULT_OUT = REPO_ROOT / "src" / "forgetlab" / "data" / "wordnet_bpe_tokenizer.json"
VOCAB_SIZE = 4096
MIN_FREQUENCY = 2


def label_text(label: str) -> str:
    return label.replace(".", " ").replace("_", " ")


def training_texts() -> Iterator[str]:
    rows = load_wordnet()
    for row in rows:
        yield row.gloss
    for row in rows:
        yield row.lemma
    for label in LEXNAMES:
        yield label_text(label)


def train(vocab_size: int = VOCAB_SIZE, min_frequency: int = MIN_FREQUENCY) -> Tokenizer:
    return train_bpe(training_texts(), vocab_size, min_frequency)


def check(path: Path) -> None:
    """Load with transformers and round-trip a few glosses."""
    from transformers import PreTrainedTokenizerFast

    hf = PreTrainedTokenizerFast(tokenizer_file=str(path), eos_token=EOS_TOKEN, pad_token=PAD_TOKEN)
    rows = load_wordnet()
    samples = [rows[0].gloss, rows[len(rows) // 2].gloss, rows[-1].gloss, "naïve café — 東京"]
    for text in samples:
        ids = hf.encode(text, add_special_tokens=False)
        back = hf.decode(ids)
        if back != text:
            raise SystemExit(f"round-trip failed: {text!r} -> {back!r}")
    print(
        f"transformers check ok: vocab {len(hf)}, eos={hf.eos_token_id}, pad={hf.pad_token_id}; "
        f"{samples[0]!r} -> {len(hf.encode(samples[0]))} tokens"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--vocab-size", type=int, default=VOCAB_SIZE)
    parser.add_argument("--min-frequency", type=int, default=MIN_FREQUENCY)
    parser.add_argument("--no-check", action="store_true", help="skip the transformers check")
    args = parser.parse_args(argv)

    tok = train(args.vocab_size, args.min_frequency)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tok.save(str(args.out), pretty=True)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes, vocab {tok.get_vocab_size()})")
    if not args.no_check:
        check(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
