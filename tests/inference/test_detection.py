"""The planted effect: a tiny causal LM fine-tuned on gloss set A is detected; a set A2 of
the same distribution that it never saw is not (three seeds, fixed: deterministic)."""

from __future__ import annotations

import pytest

from forgetlab.inference import membership_test
from tests.inference.conftest import gloss_sets, trained_on_a


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_trained_set_detected_and_unseen_set_not(seed):
    model, tok = trained_on_a(seed)
    a, b, a2 = gloss_sets()
    kw = dict(seed=seed, sizes=[10, 20], splits=5)
    trained = membership_test(model, tok, a, b, **kw)
    unseen = membership_test(model, tok, a2, b, **kw)
    assert trained["mode"] == "causal"
    assert trained["verdict"]["trained"] and trained["verdict"]["p_value"] < 0.05
    assert not unseen["verdict"]["trained"] and unseen["verdict"]["p_value"] >= 0.05
    # the trained set's loss is lower: its AUC (suspect = positive) is below 0.5
    assert trained["auc"]["loss"] < 0.3 and abs(unseen["auc"]["loss"] - 0.5) < 0.25
    assert not model.training  # membership_test leaves the mode as it found it
