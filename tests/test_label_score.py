"""eval.label_score: how a text-to-text learner ranks candidate labels of several tokens."""

from __future__ import annotations

import pytest
import torch

from forgetlab.models.label_score import combine_label_logprobs
from forgetlab.spec import spec_from_dict


def test_a_two_token_label_loses_under_sum_and_wins_under_mean():
    # rows: candidate A = 2 label tokens (log p -0.7 each), candidate B = 1 token (log p -1.0);
    # column 0 is a prompt position (not a target)
    picked = torch.tensor([[-5.0, -0.7, -0.7], [-5.0, -1.0, 0.0]])
    keep = torch.tensor([[False, True, True], [False, True, False]])
    sums = combine_label_logprobs(picked, keep, "sum")
    means = combine_label_logprobs(picked, keep, "mean")
    firsts = combine_label_logprobs(picked, keep, "first_token")
    assert sums.tolist() == pytest.approx([-1.4, -1.0])  # B (1 token) wins
    assert means.tolist() == pytest.approx([-0.7, -1.0])  # A (2 tokens) wins
    assert firsts.tolist() == pytest.approx([-0.7, -1.0])
    assert int(sums.argmax()) == 1 and int(means.argmax()) == 0


def test_unknown_label_score_is_refused():
    with pytest.raises(ValueError, match="label_score"):
        combine_label_logprobs(torch.zeros(1, 2), torch.ones(1, 2, dtype=torch.bool), "max")
    with pytest.raises(Exception, match="label_score"):
        spec_from_dict({"eval": {"label_score": "max"}})


def _spec(train, test, **eval_):
    return spec_from_dict(
        {
            "model": {"name": "tiny-gpt2", "config_overrides": {"n_layer": 1, "n_embd": 32}},
            "stream": {"kind": "files", "train": str(train), "test": str(test)},
            "train": {"epochs": 1, "lr": 3e-3, "batch_size": 16, "checkpoint": "none"},
            "eval": eval_,
        }
    )


def _R(spec, out):
    from forgetlab.experiment import run

    return run(spec, out=out).results.accuracy_matrix


def test_learner_ranks_by_its_label_score(toy_files):
    """The learner's scores are the summed log-likelihood divided by the label's tokens
    under "mean", and the evaluation's label_logprob stays the summed log-likelihood."""
    from forgetlab.models import build_learner
    from forgetlab.streams import build_experiment_stream

    train, test = toy_files
    spec = _spec(train, test)
    stream = build_experiment_stream(spec)
    learner = build_learner(spec, stream).eval()  # no dropout: the same scores twice
    assert learner.label_score == "mean"
    items = [learner.encode(ex) for ex in stream.tasks[0].test[:4]]
    batch = learner.collate(items)
    cands = stream.candidates(0, 0)
    with torch.inference_mode():
        summed, ranked = learner.label_tables(batch, cands)
    lengths = torch.tensor([len(learner.label_ids[c]) for c in cands], dtype=torch.float)
    assert torch.allclose(ranked, summed / lengths)
    learner.label_score = "sum"
    with torch.inference_mode():
        assert torch.allclose(learner.scores(batch, cands), summed)


def test_default_label_score_gives_the_same_R_as_explicit_mean(toy_files, tmp_path):
    train, test = toy_files
    default = _R(_spec(train, test), tmp_path / "default")
    explicit = _R(_spec(train, test, label_score="mean"), tmp_path / "mean")
    assert default == explicit
    assert len(default) == 2 and all(len(row) == 2 for row in default)


def test_validate_reports_each_labels_token_count(toy_files):
    """With tiny-gpt2's bundled BPE, " sports" and " cooking" take 2 tokens, " music" and
    " travel" one; validate lists them per task and flags the long ones."""
    from forgetlab.validate import label_token_lines, validate

    train, test = toy_files
    report = validate(_spec(train, test))
    assert report.label_tokens == [
        ("leisure", {"sports": 2, "music": 1}),
        ("home", {"cooking": 2, "travel": 1}),
    ]
    assert label_token_lines([("a", {"x": 1, "y": 1}), *report.label_tokens]) == [
        "labels of a: 1 token each",
        "labels of leisure: 1 of 2 take more than one token ('sports' 2 tokens)",
        "labels of home: 1 of 2 take more than one token ('cooking' 2 tokens)",
    ]
