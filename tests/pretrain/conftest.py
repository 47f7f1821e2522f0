"""Fixtures of the pretraining tests: one thread (tiny models run faster on a shared
machine), the corpus file, and one tiny pretrained run per family for the whole session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pretrain.helpers import FAMILIES, corpus_file, tiny_spec


@pytest.fixture(autouse=True)
def _one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    return corpus_file(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session")
def ladder(tmp_path_factory, corpus) -> dict[str, Path]:
    """family -> a finished tiny pretraining run directory (checkpoints at 0, 2048, 6144)."""
    import torch

    from forgetlab.pretrain import pretrain, pretrain_spec_from_dict

    root = tmp_path_factory.mktemp("ladder")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return {
            f: pretrain(pretrain_spec_from_dict(tiny_spec(corpus, f)), out=root / f).run_dir
            for f in FAMILIES
        }
    finally:
        torch.set_num_threads(before)
