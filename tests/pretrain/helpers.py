"""Helpers of the pretraining tests: a small train-pool corpus file and tiny specs."""

from __future__ import annotations

from pathlib import Path

from forgetlab.data.wordnet import load_wordnet
from forgetlab.streams.wordnet_stream import in_test_pool
from tests.conftest import cli  # noqa: F401

FAMILIES = ["gpt2", "llama", "moe", "lstm"]


def corpus_file(folder: Path, n: int = 2500) -> Path:
    """`n` train-pool WordNet glosses as a .txt corpus (a document per line)."""
    rows = [r for r in load_wordnet() if not in_test_pool(r.gloss)][::40][:n]
    path = folder / "corpus.txt"
    path.write_text("".join(f"{r.lemma}: {r.gloss}\n" for r in rows))
    return path


def tiny_spec(corpus_path: Path, family: str = "gpt2", **sections) -> dict:
    """A pretraining spec dict: 2 layers of width 32, a 512-token BPE, 24 steps of 256
    tokens, checkpoints at 0, 2,048 and 6,144 tokens."""
    model = {"family": family, "layers": 2, "hidden": 32, "context": 64}
    spec = {
        "name": f"tiny-{family}",
        "seed": 0,
        "corpus": {"kind": "files", "paths": [str(corpus_path)], "heldout_fraction": 0.05},
        "tokenizer": {"kind": "train", "vocab_size": 512},
        "model": model,
        "train": {
            "tokens": 6144,
            "seq_len": 32,
            "batch_size": 8,
            "lr": 3e-3,
            "log_every": 4,
            "resume_every": 6,
            "eval_tokens": 1024,
            "device": "cpu",
        },
        "checkpoints": {"at": [0, 2048]},
    }
    for key, value in sections.items():
        spec[key] = {**spec.get(key, {}), **value} if isinstance(value, dict) else value
    return spec
