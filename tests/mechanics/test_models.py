"""Model settings take effect: `config_overrides` changes the built model, and `freeze`
bottom = k and top = k train exactly the blocks they name."""

from __future__ import annotations

import re

import pytest

from forgetlab.models import build_learner
from forgetlab.spec import spec_from_dict
from forgetlab.streams import build_experiment_stream
from tests.conftest import tiny_wordnet


def learner(method: dict | None = None, **overrides):
    d = tiny_wordnet(n_tasks=1, train_per_class=2, test_per_class=2)
    d["model"]["config_overrides"] = overrides or None
    if method:
        d["method"] = method
    spec = spec_from_dict(d)
    return build_learner(spec, build_experiment_stream(spec))


def trainable_blocks(lrn) -> set[int]:
    names = [n for n, p in lrn.named_parameters() if id(p) in lrn.method_params]
    return {int(m.group(1)) for n in names if (m := re.search(r"encoder\.layer\.(\d+)\.", n))}


def test_config_overrides_change_the_built_model():
    default = learner()
    bigger = learner(num_hidden_layers=4, hidden_size=48, num_attention_heads=4)
    assert len(default.backbone.encoder.layer) == 2
    assert len(bigger.backbone.encoder.layer) == 4
    assert bigger.backbone.config.hidden_size == 48
    assert bigger.heads.blocks[0].in_features == 48  # the heads follow the new width


@pytest.mark.parametrize(
    "method, trained",
    [({"kind": "freeze", "bottom": 1}, {1, 2, 3}), ({"kind": "freeze", "top": 1}, {3})],
)
def test_freeze_bottom_and_top_train_the_named_blocks(method, trained):
    lrn = learner(method, num_hidden_layers=4)
    assert trainable_blocks(lrn) == trained
    embeddings = [p for n, p in lrn.backbone.named_parameters() if "embeddings" in n]
    assert embeddings and not any(id(p) in lrn.method_params for p in embeddings)
