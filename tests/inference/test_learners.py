"""membership_test on forgetlab learners, as a per-stage observer will call it."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from forgetlab.inference import membership_test
from forgetlab.inference.causal import causal_features
from forgetlab.inference.perturb import perturb
from forgetlab.inference.scoring import feature_table
from tests.probing.helpers import tiny


def test_text_to_text_learner_scores_prompt_and_label_and_perturbs_only_the_text():
    _, stream, learner = tiny("tiny-gpt2")
    ex = stream.tasks[0].train[0]
    label = " " + stream.verbalize(ex.label)
    row = feature_table(learner, None, [ex], perturbations=["case_change"], seed=1).iloc[0]
    shown = stream.format_prompt(ex.text) + label
    changed = stream.format_prompt(perturb(ex.text, "case_change", seed=1)) + label
    ref = causal_features(learner.backbone, learner.tokenizer, [shown, changed], perturbations=[])
    assert row["loss"] == pytest.approx(ref["loss"][0], rel=1e-6)
    assert row["case_change_diff"] == pytest.approx(ref["loss"][0] - ref["loss"][1], abs=1e-5)
    # label features: the label's log-likelihood against its task's other labels
    learner.eval()
    with torch.no_grad():
        scores = learner.scores(learner.collate([learner.encode(ex)]), stream.tasks[0].classes)
    target = stream.tasks[0].classes.index(ex.label)
    assert row["label_loss"] == pytest.approx(-scores.log_softmax(-1)[0, target].item(), abs=1e-5)
    assert "label_case_change_margin_diff" in row.index
    learner.train()
    out = membership_test(
        learner, None, stream.tasks[0].train[:24], stream.tasks[0].test[:24], sizes=[10], splits=2
    )
    assert out["mode"] == "causal" and len(out["sizes"][0]["split_p_values"]) == 2
    assert learner.training  # left in the mode it was in


def test_classifier_learner_features_from_its_task_scores():
    _, stream, learner = tiny("tiny-bert")
    examples = list(stream.tasks[1].train[:6])
    table = feature_table(learner, None, examples, perturbations=["word_deletion"])
    classes = stream.tasks[1].classes
    learner.eval()
    with torch.no_grad():
        batch = learner.collate([learner.encode(e) for e in examples])
        scores = learner.scores(batch, classes)
    target = torch.tensor([classes.index(e.label) for e in examples])
    expected = F.cross_entropy(scores, target, reduction="none")
    assert table["loss"].to_numpy() == pytest.approx(expected.numpy(), abs=1e-5)
    probs = scores.softmax(-1)[torch.arange(6), target]
    assert table["confidence"].to_numpy() == pytest.approx(probs.numpy(), abs=1e-5)
    assert set(table.columns) >= {"margin", "word_deletion_loss_diff"}
    with pytest.raises(Exception, match="Examples"):
        feature_table(learner, None, [("text", 0)], perturbations=[])
