"""End to end: a tiny GPT-2 learns a facts domain, then a conflict task rewrites half of it."""

from __future__ import annotations

from forgetlab.experiment import run
from forgetlab.spec import spec_from_dict


def test_conflict_overwrites_the_rewritten_facts(tmp_path):
    spec = spec_from_dict(
        {
            "name": "facts-e2e",
            "model": {"name": "tiny-gpt2", "config_overrides": {"n_layer": 1, "n_embd": 32}},
            "stream": {
                "kind": "facts",
                "n_tasks": 1,
                "facts_per_task": 8,
                "repetitions": 4,
                "objects_per_relation": 3,
                "conflict": 0.5,
            },
            "train": {
                "epochs": 40,
                "lr": 1e-2,
                "batch_size": 8,
                "warmup_ratio": 0.0,
                "checkpoint": "none",
            },
            "eval": {"exact_match": True},
        }
    )
    result = run(spec, out=tmp_path / "run")
    res = result.results
    assert res.stream == "facts" and res.scenario == "task_incremental"
    assert res.tasks == ["geography", "conflict"] and res.test_counts == [8, 4]
    R = result.accuracy_matrix
    assert R.shape == (2, 2)
    assert R[0, 0] >= 0.75 and R[1, 1] >= 0.75  # each task's facts are learned
    before, after = (s.group_accuracy["geography"] for s in res.stages)
    assert before["overwritten"] >= 0.75 and before["untouched"] >= 0.75
    # after the conflict task the rewritten facts no longer give their original answer
    assert after["overwritten"] <= 0.25 < after["untouched"]
    # exact-match generation is recorded next to the ranking: the model also *produces* the
    # answers it just memorised, not only ranks them first
    em = [s.exact_match for s in res.stages]
    print("exact match", em)
    assert all(len(row) == 2 for row in em)
    assert em[0][0] >= 0.5 and em[1][1] >= 0.5
    assert res.forgetting_by_distance == [R[0, 0] - R[1, 0]]
