"""The evaluator against learners whose scores are known: accuracy per task and per group
with each cell's candidates, the gold label's log-likelihood, and text-to-text label scores
that do not depend on how a batch is padded."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from forgetlab.eval import evaluate
from forgetlab.train.encode import EncodeCache
from tests.fake_learner import ScriptedLearner, toy_stream


def test_accuracy_per_task_and_group_from_known_scores():
    stream = toy_stream(per_label=4)  # test: 8 examples per task (4 per label)
    tagged = tuple(
        replace(t, test=tuple(replace(e, group="odd" if e.uid % 2 else "even") for e in t.test))
        for t in stream.tasks
    )
    stream = replace(stream, tasks=tagged)
    answers = {}  # uid -> the class the script makes win
    for t in stream.tasks:
        for k, e in enumerate(t.test):
            # right on three of every four examples; the fourth answers the other class
            other = next(c for c in t.classes if c != e.label)
            answers[e.uid] = e.label if k % 4 else other
    seen_candidates = {}

    def script(uid, candidates):
        seen_candidates.setdefault(uid, candidates)
        return [1.0 if c == answers[uid] else 0.0 for c in candidates]

    learner = ScriptedLearner(stream, script)
    scores = evaluate(learner, stream, stage=0, encode=EncodeCache(learner), batch_size=3)
    for t, s in zip(stream.tasks, scores):
        hits = [answers[e.uid] == e.label for e in t.test]
        assert s.accuracy == pytest.approx(sum(hits) / len(hits))
        for g in ("odd", "even"):
            mine = [answers[e.uid] == e.label for e in t.test if e.group == g]
            assert s.groups[g] == (sum(mine), len(mine))
        assert s.label_logprob is None  # a classifier's scores are not log-likelihoods
    # after stage 0 the future task 1 competes over tasks 0..1's classes (class-incremental)
    task1 = stream.tasks[1].test[0].uid
    assert seen_candidates[task1] == stream.tasks[0].classes + stream.tasks[1].classes


def test_text_to_text_scores_give_the_gold_log_likelihood():
    stream = toy_stream(per_label=4)

    def script(uid, candidates):
        return [-float(1 + (uid + c) % 3) for c in candidates]

    learner = ScriptedLearner(stream, script, mode="text_to_text")
    scores = evaluate(learner, stream, stage=1, encode=EncodeCache(learner), batch_size=5)
    for t, s in zip(stream.tasks, scores):
        cands = stream.candidates(1, stream.tasks.index(t))
        gold = [script(e.uid, cands)[cands.index(e.label)] for e in t.test]
        assert s.label_logprob == pytest.approx(sum(gold) / len(gold))
        best = [
            cands[max(range(len(cands)), key=lambda k: script(e.uid, cands)[k])] for e in t.test
        ]
        assert s.accuracy == pytest.approx(
            sum(b == e.label for b, e in zip(best, t.test)) / len(best)
        )


def test_text_to_text_label_scores_do_not_depend_on_padding():
    from forgetlab.models import build_learner
    from forgetlab.spec import spec_from_dict
    from forgetlab.streams import build_experiment_stream
    from tests.conftest import tiny_wordnet

    spec = spec_from_dict(
        {
            **tiny_wordnet(n_tasks=1, train_per_class=4, test_per_class=6),
            "model": {"name": "tiny-gpt2"},
        }
    )
    stream = build_experiment_stream(spec)
    learner = build_learner(spec, stream).eval()
    items = [learner.encode(e) for e in stream.tasks[0].test]
    items.sort(key=lambda e: len(e.ids))
    cands = stream.tasks[0].classes
    with torch.inference_mode():
        alone = torch.cat([learner.scores(learner.collate([e]), cands) for e in items])
        together = learner.scores(learner.collate(items), cands)  # padded to the longest
    assert len({len(e.ids) for e in items}) > 1  # the batch really pads
    torch.testing.assert_close(together, alone, rtol=1e-4, atol=1e-4)
