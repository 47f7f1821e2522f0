"""lm-evaluation-harness through forgetlab's model: a custom task on local files runs through
lm-eval's own API and gives the accuracy computed here by hand."""

from __future__ import annotations

import pytest
import torch

from forgetlab.errors import SpecError
from forgetlab.models.zoo import load
from forgetlab.spec import ModelSpec, spec_from_dict
from tests.llm.lm_eval_task import ROWS, write_task

lm_eval = pytest.importorskip("lm_eval", reason="lm-eval is not installed (extra 'lmeval')")


@pytest.fixture(autouse=True)
def _datasets_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-datasets"))  # not ~/.cache


def hand_accuracy(backbone, tok) -> float:
    """lm-eval's multiple-choice acc: the choice whose continuation " {choice}" has the
    highest summed log-likelihood after the question."""
    hits = 0
    for row in ROWS:
        ctx = tok(row["question"], add_special_tokens=False)["input_ids"]
        lls = []
        for choice in row["choices"]:
            cont = tok(" " + choice, add_special_tokens=False)["input_ids"]
            ids = torch.tensor([ctx + cont])
            with torch.no_grad():
                logp = torch.log_softmax(backbone(input_ids=ids).logits[0].float(), -1)
            lls.append(sum(float(logp[len(ctx) - 1 + i, t]) for i, t in enumerate(cont)))
        hits += int(max(range(len(lls)), key=lls.__getitem__) == row["answer"])
    return hits / len(ROWS)


def test_custom_local_task_matches_the_hand_computed_accuracy(tmp_path):
    from forgetlab.general.lm_eval import run_lm_eval

    torch.manual_seed(0)
    backbone, tok, _ = load(ModelSpec(name="tiny-gpt2", config_overrides={"n_layer": 1}))
    backbone.eval()
    out = run_lm_eval(backbone, tok, ["forgetlab_toy_mc"], include_path=write_task(tmp_path / "t"))
    acc = out["forgetlab_toy_mc"]["acc"]
    assert acc == pytest.approx(hand_accuracy(backbone, tok))
    n = len(ROWS)
    assert out["forgetlab_toy_mc"]["acc_stderr"] == pytest.approx(
        (acc * (1 - acc) / (n - 1)) ** 0.5
    )


def test_unknown_task_and_missing_install_are_one_line(tmp_path, monkeypatch):
    from forgetlab.general import lm_eval as bridge

    torch.manual_seed(0)
    backbone, tok, _ = load(ModelSpec(name="tiny-gpt2", config_overrides={"n_layer": 1}))
    with pytest.raises(SpecError, match="lm-eval knows no task 'no_such_task'"):
        bridge.run_lm_eval(backbone, tok, ["no_such_task"], include_path=write_task(tmp_path))
    monkeypatch.setattr(bridge, "lm_eval_available", lambda: False)
    spec = spec_from_dict(
        {
            "model": {"name": "tiny-gpt2"},
            "stream": {"kind": "wordnet-cil", "n_tasks": 1, "classes_per_task": 2},
            "general": {"lm_eval_tasks": ["hellaswag"]},
        }
    )
    from forgetlab.validate import check_parts

    with pytest.raises(SpecError, match=r"general.lm_eval_tasks: lm-evaluation-harness is not"):
        check_parts(spec, "text_to_text", "class_incremental")
