"""The tokenizer of a pretraining run: forgetlab's bundled byte-level BPE, or a new one.

tok = build_tokenizer(TokenizerSpec(kind="train", vocab_size=2048), corpus.train)
tok.save_pretrained(checkpoint_dir)       # every checkpoint directory carries it

`train_bpe` is what `scripts/build_tokenizer.py` used to make the bundled file: a byte-level
BPE (`tokenizers`) with the special tokens <|endoftext|> (end of document, also BOS) and <|pad|>.
"""

from __future__ import annotations

from collections.abc import Iterable

EOS_TOKEN = "<|endoftext|>"
PAD_TOKEN = "<|pad|>"
SPECIAL_TOKENS = [EOS_TOKEN, PAD_TOKEN]


def train_bpe(texts: Iterable[str], vocab_size: int, min_frequency: int = 2):
    """A `tokenizers.Tokenizer`: byte-level BPE trained on `texts`."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    return tok


def wrap(tokenizer_object):
    """A transformers fast tokenizer around a `tokenizers.Tokenizer`."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer_object, eos_token=EOS_TOKEN, pad_token=PAD_TOKEN
    )


def build_tokenizer(spec, train_texts: list[str]):
    """The transformers tokenizer a TokenizerSpec asks for (trained on `train_texts`)."""
    if spec.kind == "bundled":
        from forgetlab.models.zoo import bpe_tokenizer

        return bpe_tokenizer()
    return wrap(train_bpe(train_texts, spec.vocab_size, spec.min_frequency))


def planned_vocab(spec) -> int:
    """The vocabulary size before training a tokenizer (for sizes at validate time)."""
    if spec.kind == "bundled":
        return 4096
    return spec.vocab_size
