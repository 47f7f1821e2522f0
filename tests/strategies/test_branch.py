"""`branch`: one LoRA branch per task, picked by task id: old tasks cannot be forgotten."""

from __future__ import annotations

from pathlib import Path

import pytest

import forgetlab
from forgetlab.errors import ForgetlabError
from forgetlab.spec import spec_from_dict
from forgetlab.validate import validate


def spec(toy_files, model: str = "tiny-bert", **stream):
    train, test = toy_files
    return spec_from_dict(
        {
            "model": {"name": model},
            "stream": {
                "kind": "files",
                "train": str(train),
                "test": str(test),
                "scenario": "task_incremental",
                **stream,
            },
            "strategy": {"kind": "branch", "r": 4},
            "train": {"epochs": 3, "lr": 5e-3, "batch_size": 16, "checkpoint": "none"},
        }
    )


@pytest.mark.parametrize("model", ["tiny-bert", "tiny-gpt2"])
def test_old_tasks_keep_their_accuracy_exactly(toy_files, tmp_path: Path, model: str):
    res = forgetlab.run(spec(toy_files, model), out=tmp_path / model)
    R = res.accuracy_matrix
    assert R[1, 0] == R[0, 0]  # task 0's branch and head were not touched by stage 1
    assert res.metrics["average_forgetting"] == 0.0
    assert res.results.model.trainable_fraction < 0.5


def test_branch_refuses_class_incremental_and_other_methods(toy_files):
    with pytest.raises(ForgetlabError, match="needs a task-incremental stream"):
        validate(spec(toy_files, scenario="class_incremental"))
    s = spec(toy_files)
    s = s.model_copy(
        update={
            "method": spec_from_dict(
                {"stream": {"kind": "wordnet-til"}, "method": {"kind": "lora"}}
            ).method
        }
    )
    with pytest.raises(ForgetlabError, match="use method 'full'"):
        validate(s)
