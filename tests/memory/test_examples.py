"""The memory experiments validate: every sweep of experiments/memory/sweeps/ expands into its
cells and each cell validates (the single specs are checked by tests/test_experiments.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from forgetlab.sweeps import load_sweep_spec, plan_sweep

SWEEPS = sorted((Path(__file__).parents[2] / "experiments" / "memory" / "sweeps").glob("*.toml"))
CELLS = {"wordnet_memory": 15, "knowledge_memory": 15, "prompt_design": 12, "knn_weight": 6}


def test_the_memory_sweeps_are_there():
    assert sorted(p.stem for p in SWEEPS) == sorted(CELLS)


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.stem)
def test_memory_sweep_validates(path: Path):
    plan = plan_sweep(load_sweep_spec(path))
    assert len(plan.cells) == CELLS[path.stem]
    assert sorted({c.seed for c in plan.cells}) == [0, 1, 2]
    kinds = {tuple(s.kind for s in e.strategy) for e in plan.specs.values()}
    if path.stem == "knn_weight":
        assert {e.strategy[0].weight for e in plan.specs.values()} == {0.8, 1.0}
        return
    if path.stem == "prompt_design":
        assert kinds == {("seq",)}
        assert {e.transform[0].style for e in plan.specs.values()} == {
            "bare",
            "description",
            "labels",
            "few_shot",
        }
    else:
        memory = "knn" if path.stem == "wordnet_memory" else "rag"
        assert kinds == {("seq",), ("er",), ("agem",), (memory,), ("er", memory)}
        sizes = {s.memory_size for e in plan.specs.values() for s in e.strategy if s.kind != "seq"}
        assert sizes == {60}  # every memory stores the same number of examples
