"""Bundled data sets (WordNet 3.0 glosses and a BPE tokenizer trained on them)."""
