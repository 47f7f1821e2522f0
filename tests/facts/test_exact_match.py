"""Exact-match generation: the comparison on hand-made answers, and real greedy generation
by a tiny GPT-2 that memorised one task's facts."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

import forgetlab.eval.exact_match as em
from forgetlab.errors import ForgetlabError
from forgetlab.models import build_learner
from forgetlab.models.learner import Encoded
from forgetlab.spec import spec_from_dict
from forgetlab.streams import build_experiment_stream


def facts_spec(**stream):
    return spec_from_dict(
        {
            "model": {"name": "tiny-gpt2", "config_overrides": {"n_layer": 1, "n_embd": 32}},
            "stream": {"kind": "facts", "objects_per_relation": 3, "repetitions": 1, **stream},
        }
    )


class FakeLearner:
    mode = "text_to_text"
    training = True

    def encode(self, ex):
        return Encoded((7, 8, 9, 100 + ex.label), ex.label, ex.task, ex.uid, target_start=3)

    def eval(self):
        self.training = False

    def train(self, flag=True):
        self.training = flag


def test_answers_are_compared_after_whitespace_normalisation(monkeypatch):
    stream = build_experiment_stream(facts_spec(n_tasks=1, facts_per_task=4, conflict=0.5))
    geo = stream.tasks[0]
    assert [e.group for e in geo.test].count("overwritten") == 2
    answers = []
    for e in geo.test:
        label = stream.verbalize(e.label)
        if e.group == "overwritten":  # both right: extra whitespace does not matter
            answers.append(f"\n  {label.replace(' ', '   ')} " if answers else label)
        else:  # both wrong: more than the label, or another case
            answers.append(label + " city" if len(answers) % 2 else label.upper())
    calls = []

    def fake_generate(learner, prompts, task, batch_size):
        calls.append((prompts, task, batch_size))
        return answers if task == 0 else [""] * len(prompts)

    monkeypatch.setattr(em, "generate_answers", fake_generate)
    learner = FakeLearner()
    scores = em.exact_match(learner, stream, batch_size=5)
    assert [(s.task, s.correct, s.total) for s in scores] == [(0, 2, 4), (1, 0, 2)]
    assert scores[0].groups == {"overwritten": (2, 2), "untouched": (0, 2)}
    assert scores[0].accuracy == 0.5
    assert calls[0] == ([[7, 8, 9]] * 4, 0, 5)  # the prompt tokens, without the label
    assert learner.training  # the learner's mode is restored
    assert [s.task for s in em.exact_match(learner, stream, tasks=[1])] == [1]


def test_refuses_a_classifier():
    with pytest.raises(ForgetlabError, match="needs a text-to-text"):
        em.exact_match(SimpleNamespace(mode="classifier"), None)


def test_tiny_gpt2_generates_the_facts_it_memorised():
    spec = facts_spec(n_tasks=2, facts_per_task=6)
    stream = build_experiment_stream(spec)
    learner = build_learner(spec, stream)
    batch = learner.collate([learner.encode(e) for e in stream.tasks[0].train])
    opt = torch.optim.AdamW(learner.parameters(), lr=1e-2)
    learner.train()
    for _ in range(150):
        loss = learner(batch, None).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.05
    for batch_size in (1, 4):  # left-padded batches generate what single prompts do
        scores = em.exact_match(learner, stream, batch_size=batch_size)
        assert [(s.correct, s.total) for s in scores] == [(6, 6), (0, 6)]
    assert learner.training
