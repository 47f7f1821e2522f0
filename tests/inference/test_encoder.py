"""Classifier features: loss, confidence, margin and their perturbation gaps, by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from forgetlab.inference.encoder import classifier_features, logit_features
from forgetlab.inference.perturb import perturb


def test_logit_features_by_hand():
    logits = np.array([[2.0, 0.0, -1.0], [2.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
    out = logit_features(logits, np.array([0, 2, 1]))
    z = math.exp(2) + 1 + math.exp(-1)
    assert out["loss"] == pytest.approx(
        [
            -math.log(math.exp(2) / z),
            -math.log(math.exp(-1) / z),
            -math.log(math.exp(0.5) / (2 * math.exp(0.5) + 1)),
        ]
    )
    assert out["confidence"] == pytest.approx(
        [math.exp(2) / z, math.exp(-1) / z, math.exp(0.5) / (2 * math.exp(0.5) + 1)]
    )
    assert out["margin"] == pytest.approx([2.0, -3.0, 0.0])
    assert logit_features(np.array([[1.5]]), np.array([0]))["margin"] == pytest.approx([0.0])


def test_classifier_gaps_by_hand():
    """A 'classifier' whose true-class logit is the number of letters 'e' in the text."""

    def logits_fn(texts, labels):
        logits = np.array([[t.count("e"), 1.0] for t in texts], dtype=float)
        return logits, np.zeros(len(texts), dtype=int)

    texts = ["the cheese seemed excellent", "we never ever leave here"]
    table = classifier_features(logits_fn, texts, [0, 0], seed=2, perturbations=["word_deletion"])
    for i, text in enumerate(texts):
        other = perturb(text, "word_deletion", seed=2)
        e, e2 = text.count("e"), other.count("e")
        assert table["margin"][i] == pytest.approx(e - 1.0)
        assert table["word_deletion_margin_diff"][i] == pytest.approx(e - e2)
        conf = 1 / (1 + math.exp(1.0 - e))
        conf2 = 1 / (1 + math.exp(1.0 - e2))
        assert table["word_deletion_confidence_diff"][i] == pytest.approx(conf - conf2)
        assert table["word_deletion_loss_diff"][i] == pytest.approx(
            -math.log(conf) + math.log(conf2)
        )


def test_hf_sequence_classifier_logits_and_labels(tmp_path):
    """A transformers sequence classifier: labels by id or name, logits as the model gives."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from forgetlab.inference.scoring import feature_table, mode_of
    from forgetlab.models.zoo import minilm_path

    tok = AutoTokenizer.from_pretrained(minilm_path())
    cfg = BertConfig(
        vocab_size=tok.vocab_size,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        num_labels=3,
        label2id={"x": 0, "y": 1, "z": 2},
        id2label={0: "x", 1: "y", 2: "z"},
    )
    torch.manual_seed(0)
    model = BertForSequenceClassification(cfg).eval()
    assert mode_of(model) == "classifier"
    items = [("a red apple", "y"), ("a blue sky", 2)]
    table = feature_table(model, tok, items, perturbations=["case_change"])
    with torch.no_grad():
        logits = model(**tok([t for t, _ in items], padding=True, return_tensors="pt")).logits
    expected = logit_features(logits.numpy(), np.array([1, 2]))
    assert table["loss"].to_numpy() == pytest.approx(expected["loss"], abs=1e-5)
    assert table["margin"].to_numpy() == pytest.approx(expected["margin"], abs=1e-5)
    with pytest.raises(Exception, match="not one of the model's labels"):
        feature_table(model, tok, [("text", "w")], perturbations=[])
