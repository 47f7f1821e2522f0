"""Training behaviour on tiny models: determinism, joint vs seq, text-to-text, checkpoints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

import forgetlab
from forgetlab.models import build_learner
from forgetlab.runs.checkpoint import load_trainable
from forgetlab.spec import spec_from_dict
from forgetlab.streams import build_stream
from tests.conftest import assert_whole_counts, tiny_wordnet


def test_same_seed_gives_identical_matrices(tmp_path: Path):
    spec = spec_from_dict(tiny_wordnet(n_tasks=2))
    a = forgetlab.run(spec, out=tmp_path / "a")
    b = forgetlab.run(spec, out=tmp_path / "b")
    assert a.results.accuracy_matrix == b.results.accuracy_matrix
    assert a.results.initial_accuracy == b.results.initial_accuracy
    assert [s.mean_loss for s in a.results.stages] == [s.mean_loss for s in b.results.stages]
    c = forgetlab.run(spec_from_dict({**tiny_wordnet(n_tasks=2), "seed": 1}), out=tmp_path / "c")
    assert [s.mean_loss for s in c.results.stages] != [s.mean_loss for s in a.results.stages]


def test_seq_forgets_and_joint_forgets_less(tmp_path: Path):
    seq = forgetlab.run(spec_from_dict(tiny_wordnet()), out=tmp_path / "seq")
    joint = forgetlab.run(
        spec_from_dict({**tiny_wordnet(), "strategy": {"kind": "joint"}}), out=tmp_path / "joint"
    )
    R = seq.accuracy_matrix
    assert R[0, 0] >= 0.6 and R[-1, 0] <= 0.1  # learned task 0 (chance 0.5), then lost it
    assert seq.metrics["average_forgetting"] > 0.5
    assert joint.metrics["average_forgetting"] < seq.metrics["average_forgetting"] - 0.3
    assert joint.metrics["average_accuracy"] > seq.metrics["average_accuracy"] + 0.15


def test_text_to_text_learns_labels_as_words(tmp_path: Path, toy_files):
    train, test = toy_files
    spec = spec_from_dict(
        {
            "model": {"name": "tiny-gpt2"},
            "stream": {
                "kind": "files",
                "train": str(train),
                "test": str(test),
                "scenario": "task_incremental",
            },
            "train": {"epochs": 40, "lr": 3e-3, "batch_size": 16, "checkpoint": "none"},
        }
    )
    res = forgetlab.run(spec, out=tmp_path / "lm")
    R = res.accuracy_matrix
    assert res.results.model.mode == "text_to_text"
    assert np.diag(R).min() >= 0.9  # each task learned (chance is 0.5)
    assert res.initial_accuracy.max() <= 0.8


def test_llama_runs_text_to_text(tmp_path: Path, toy_files):
    train, test = toy_files
    spec = spec_from_dict(
        {
            "model": {"name": "tiny-llama"},
            "stream": {"kind": "files", "train": str(train), "test": str(test)},
            "train": {"epochs": 1, "checkpoint": "none"},
        }
    )
    res = forgetlab.run(spec, out=tmp_path / "llama")
    assert res.results.model.mode == "text_to_text"
    assert_whole_counts(res.results)


def test_checkpoint_loads_back_to_the_same_predictions(tmp_path: Path):
    spec = spec_from_dict(
        {**tiny_wordnet(n_tasks=2), "train": {"epochs": 1, "lr": 2e-3, "checkpoint": "last"}}
    )
    res = forgetlab.run(spec, out=tmp_path / "run")
    stream = build_stream(spec.stream)
    learner = build_learner(spec_from_dict({**tiny_wordnet(n_tasks=2), "seed": 7}), stream)
    load_trainable(learner, res.run_dir / "checkpoints" / "last")
    learner.eval()
    correct = 0
    for ex in stream.tasks[1].test:
        batch = learner.collate([learner.encode(ex)])
        correct += int(learner.predict(batch, stream.candidates(1, 1))[0] == ex.label)
    assert correct / len(stream.tasks[1].test) == res.accuracy_matrix[1, 1]
    assert torch.is_grad_enabled()


def test_online_is_one_pass_in_data_order(tmp_path: Path, toy_files):
    from forgetlab.train.batching import make_batches

    train, test = toy_files
    spec = spec_from_dict(
        {
            "model": {"name": "tiny-bert"},
            "stream": {"kind": "files", "train": str(train), "test": str(test)},
            "train": {"epochs": 3, "batch_size": 16, "online": True, "checkpoint": "none"},
        }
    )
    res = forgetlab.run(spec, out=tmp_path / "online")
    assert [s.steps for s in res.results.stages] == [5, 5]  # 80 examples / 16, one pass
    assert [s.examples for s in res.results.stages] == [80, 80]
    items = list(range(10))
    import random

    assert make_batches(items, random.Random(0), 4, shuffle=False) == [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9],
    ]
