"""A 2-task chat stream end to end: R holds a generative score (named in results.json), the
first task is learned then forgotten, every forgetting metric works on it."""

from __future__ import annotations

import csv

import numpy as np

import forgetlab
from forgetlab.spec import spec_from_dict
from tests.llm.helpers import ANSWERS, chat_rows, write_jsonl


def chat_spec(tmp_path, **extra) -> dict:
    train = write_jsonl(tmp_path / "train.jsonl", chat_rows(16, seed=0))
    test = write_jsonl(tmp_path / "test.jsonl", chat_rows(6, seed=1))
    return {
        "name": "chat",
        "model": {"name": "tiny-gpt2", "config_overrides": {"n_embd": 32}},
        "stream": {"kind": "chat", "train": str(train), "test": str(test)},
        "train": {
            "epochs": 10,
            "lr": 1e-2,
            "batch_size": 2,
            "warmup_ratio": 0.0,
            "max_length": 32,
            "checkpoint": "none",
        },
        "eval": {"batch_size": 24, "generation": {"metric": "exact_match", "max_new_tokens": 3}},
        **extra,
    }


def test_generative_R_learns_then_forgets(tmp_path):
    run = forgetlab.run(spec_from_dict(chat_spec(tmp_path)), out=tmp_path / "run")
    res = run.results
    R, b = run.accuracy_matrix, run.initial_accuracy
    print("R", R, "b", b)
    assert res.scenario == "generative" and res.classes == []
    assert res.model_extra["score_metric"] == "exact_match"
    assert R.shape == (2, 2) and b.tolist() == [0.0, 0.0]  # an untrained model writes no answer
    assert R[0, 0] >= 0.9 and R[1, 1] >= 0.9  # each task's answers are learned
    assert R[1, 0] <= 0.2  # then the second task's answer takes over the first's prompts
    m = run.metrics
    assert m["learning_accuracy"] == np.mean(np.diag(R))
    assert m["bwt"] == R[1, 0] - R[0, 0] and m["average_forgetting"] == R[0, 0] - R[1, 0]
    stage = res.stages[0].model_extra
    assert set(stage["scores"]) == {"exact_match", "token_f1", "rouge_l"}
    assert stage["scores"]["exact_match"] == R[0].tolist()
    assert all(f >= e for f, e in zip(stage["scores"]["token_f1"], stage["scores"]["exact_match"]))
    prompt, reference, answer = stage["samples"][res.tasks[0]][0]
    assert reference in ANSWERS
    rows = list(csv.DictReader((run.run_dir / "scores.csv").open()))
    metrics = {r["metric"] for r in rows}
    assert {"exact_match", "token_f1", "rouge_l"} <= metrics and "accuracy" not in metrics


def test_resumed_chat_run_with_replay_ewc_and_general_equals_an_uninterrupted_one(tmp_path):
    from tests.conftest import killed_after_stage_0

    d = chat_spec(tmp_path)
    d["model"]["config_overrides"]["n_layer"] = 1
    d["train"].update(epochs=1, batch_size=8)
    d["strategy"] = [{"kind": "er", "memory_size": 8}, {"kind": "ewc", "samples": 8}]
    d["general"] = {
        "max_texts": 4,
        "max_length": 32,
        "unseen_tasks": 1,
        "unseen_classes_per_task": 2,
        "unseen_per_class": 3,
    }
    spec = spec_from_dict(d)
    whole = forgetlab.run(spec, out=tmp_path / "whole").results.model_dump()
    killed_after_stage_0(spec, tmp_path / "killed")
    resumed = forgetlab.resume(tmp_path / "killed").results.model_dump()
    assert resumed["resumed_after"] == [0]
    assert resumed["accuracy_matrix"] == whole["accuracy_matrix"]
    assert resumed["general"]["series"] == whole["general"]["series"]
    assert [s["scores"] for s in resumed["stages"]] == [s["scores"] for s in whole["stages"]]
    assert [s["mean_loss"] for s in resumed["stages"]] == [s["mean_loss"] for s in whole["stages"]]
