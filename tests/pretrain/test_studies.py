"""Every spec of experiments/scale/ validates: the pretraining sweeps as they are, the study
sweeps with a tiny local ladder standing in for the default ladder's rungs and for the hub's
Pythia models (whose `stepN` revisions the stand-in resolves to its nearest step)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from forgetlab.pretrain import load_pretrain_spec, plan_pretrain
from forgetlab.spec import load_spec, read_toml
from forgetlab.sweeps import load_sweep_spec, plan_sweep
from forgetlab.sweeps.spec import sweep_from_dict
from forgetlab.validate import validate

SCALE = Path(__file__).resolve().parents[2] / "experiments" / "scale"
CELLS = {  # study sweep -> cells (the counts their comments promise)
    "a_size_wordnet": 72,
    "a_size_facts": 72,
    "b_pretraining": 45,
    "c_recall": 15,
    "d_architecture": 54,
    "e_coverage": 27,
    "f_conflicts": 30,
    "g_pythia_size": 72,
    "g_pythia_pretraining": 63,
}
_LADDER_CELL = re.compile(r"^runs/sweeps/scale-(d-)?ladder|^runs/sweeps/scale-e-ladder")


def stand_in(value, ladder: dict[str, Path]):
    """Rung paths and hub names -> a tiny local run (d-ladder cells keep their family)."""
    if isinstance(value, list):
        return [stand_in(v, ladder) for v in value]
    if isinstance(value, dict):
        return {k: stand_in(v, ladder) for k, v in value.items()}
    if not isinstance(value, str):
        return value
    if value.startswith("runs/sweeps/scale-d-ladder/cells/c"):
        return str(ladder[["gpt2", "lstm", "moe"][int(value[-3:]) // 2]])
    if _LADDER_CELL.match(value) or value.startswith("EleutherAI/pythia"):
        return str(ladder["gpt2"])
    return value


def study_plan(name: str, ladder):
    data = stand_in(read_toml(SCALE / f"{name}.toml"), ladder)
    data["base"] = stand_in(read_toml(SCALE / data["base"]), ladder)
    return plan_sweep(sweep_from_dict(data, SCALE, source=name))


def test_the_pretraining_sweeps_and_the_rung_validate():
    ladder = plan_sweep(load_sweep_spec(SCALE / "ladder.toml"))
    params = [plan_pretrain(s).params for s in ladder.specs.values()]
    assert len(params) == 4 and params == sorted(params, reverse=True)
    assert params[0] / params[-1] >= 30  # the default ladder spans 30x
    steps = [plan_pretrain(s).checkpoint_steps for s in ladder.specs.values()]
    assert all(len(s) >= 4 for s in steps)  # at least 4 checkpoints per rung
    d = plan_sweep(load_sweep_spec(SCALE / "d_ladder.toml"))
    sizes = {(s.model.family, s.model.params): plan_pretrain(s).params for s in d.specs.values()}
    for (_, target), got in sizes.items():
        assert abs(got / target - 1) <= 0.05  # matched sizes across families
    e = plan_sweep(load_sweep_spec(SCALE / "e_ladder.toml"))
    assert [len(s.corpus.exclude_categories) for s in e.specs.values()] == [10, 5, 0]
    assert plan_pretrain(load_pretrain_spec(SCALE / "rung.toml")).params == 1_204_560


@pytest.mark.parametrize("name", sorted(CELLS))
def test_each_study_sweep_validates_every_cell(name, ladder):
    plan = study_plan(name, ladder)
    assert len(plan.cells) == CELLS[name]


def test_the_revisions_name_the_default_ladders_checkpoints():
    ladder = plan_sweep(load_sweep_spec(SCALE / "ladder.toml"))
    tokens = {f"tokens={t}" for t in plan_pretrain(ladder.specs["c001"]).checkpoint_tokens}
    for name in ("b_pretraining", "c_recall", "f_conflicts"):
        assert set(read_toml(SCALE / f"{name}.toml")["axes"]["model.revision"]) == tokens


@pytest.mark.parametrize("name", ["base_wordnet", "base_facts", "base_coverage",
                                  "base_conflict", "base_pythia", "c_probe_checkpoints"])  # fmt: skip
def test_each_base_spec_validates(name, ladder):
    spec = load_spec(SCALE / f"{name}.toml", [f'model.name="{ladder["llama"]}"'])
    assert validate(spec).stream.tasks


def test_a_pythia_cell_runs_on_the_stand_in(tmp_path, ladder):
    """(g)'s specs run unchanged but for the model name: the first cell, shortened."""
    import forgetlab

    plan = study_plan("g_pythia_pretraining", ladder)
    spec = plan.specs["c000"]  # step0: the stand-in's 0-token checkpoint
    short = spec.stream.model_copy(update={"n_tasks": 2, "train_per_class": 10,
                                           "test_per_class": 5})  # fmt: skip
    res = forgetlab.run(spec.model_copy(update={"stream": short}), out=tmp_path / "g").results
    assert res.model.revision == "step0" and res.model.pretrain_tokens == 0
    assert len(res.accuracy_matrix) == 2 and res.probing is not None
