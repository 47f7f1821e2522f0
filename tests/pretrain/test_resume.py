"""A killed pretraining run resumes to the weights, held-out losses and loss log of an
uninterrupted one, bit for bit (CPU)."""

from __future__ import annotations

import json

import pytest
from safetensors.torch import load_file

from forgetlab.errors import RunDirError
from forgetlab.pretrain import pretrain, pretrain_spec_from_dict, resume_pretrain
from forgetlab.pretrain import state as run_state
from tests.pretrain.helpers import tiny_spec


class Killed(Exception):
    """Stands for a process killed right after a resume state was written."""


def kill_after_saves(monkeypatch, n: int) -> list[int]:
    steps: list[int] = []
    real = run_state.save_resume

    def save_then_maybe_die(root, model, optimizer, scheduler, record):
        real(root, model, optimizer, scheduler, record)
        steps.append(record["step"])
        if len(steps) == n:
            raise Killed

    monkeypatch.setattr(run_state, "save_resume", save_then_maybe_die)
    return steps


def weights(run_dir, tokens: int) -> dict:
    return load_file(str(run_dir / "checkpoints" / f"tokens-{tokens:012d}" / "model.safetensors"))


@pytest.mark.parametrize("family", ["llama", "moe"])
def test_killed_run_resumes_to_identical_weights(tmp_path, corpus, monkeypatch, family):
    spec = pretrain_spec_from_dict(tiny_spec(corpus, family))
    whole = pretrain(spec, out=tmp_path / "whole").results
    steps = kill_after_saves(monkeypatch, 3)
    with pytest.raises(Killed):
        pretrain(spec, out=tmp_path / "killed")
    assert steps == [6, 8, 12]  # resume_every = 6, and at the 2,048-token checkpoint (step 8)
    monkeypatch.undo()
    killed = tmp_path / "killed"
    assert json.loads((killed / "results.json").read_text())["status"] == "running"
    assert not (killed / "checkpoints" / f"tokens-{6144:012d}").exists()
    resumed = resume_pretrain(killed).results
    assert resumed.status == "complete" and resumed.resumed_at == [12]
    for tokens in (0, 2048, 6144):
        a, b = weights(tmp_path / "whole", tokens), weights(killed, tokens)
        assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)
    same = ("tokens", "step", "heldout_loss", "heldout_ppl", "train_loss")
    assert [c.model_dump(include=set(same)) for c in resumed.checkpoints] == [
        c.model_dump(include=set(same)) for c in whole.checkpoints
    ]
    assert [(r.step, r.loss) for r in resumed.log] == [(r.step, r.loss) for r in whole.log]


def test_a_torn_resume_state_is_refused(tmp_path, corpus, monkeypatch):
    spec = pretrain_spec_from_dict(tiny_spec(corpus, "gpt2"))
    kill_after_saves(monkeypatch, 1)
    with pytest.raises(Killed):
        pretrain(spec, out=tmp_path / "run")
    monkeypatch.undo()
    state = tmp_path / "run" / "resume" / "state.json"
    doc = json.loads(state.read_text())
    state.write_text(json.dumps({**doc, "step": doc["step"] + 1}))  # weights of another step
    with pytest.raises(RunDirError, match="torn"):
        resume_pretrain(tmp_path / "run")


def test_a_complete_run_has_nothing_to_resume(ladder):
    with pytest.raises(RunDirError, match="already complete"):
        resume_pretrain(ladder["gpt2"])


def test_a_killed_sweep_cell_goes_on_from_its_resume_state(tmp_path, corpus, monkeypatch):
    from forgetlab.pretrain import dump_pretrain_spec
    from forgetlab.sweeps.cell import run_cell

    spec = pretrain_spec_from_dict(tiny_spec(corpus, "lstm"))
    kill_after_saves(monkeypatch, 2)
    with pytest.raises(Killed):
        pretrain(spec, out=tmp_path / "cell")
    monkeypatch.undo()
    job = {"cell": "c000", "kind": "pretrain", "spec": dump_pretrain_spec(spec)}
    outcome = run_cell({**job, "run_dir": str(tmp_path / "cell")})
    assert outcome["status"] == "done" and outcome.get("resumed") is True
    res = json.loads((tmp_path / "cell" / "results.json").read_text())
    assert res["status"] == "complete" and res["resumed_at"] == [8]
