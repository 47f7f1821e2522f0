"""Every memory component resumes after a kill to the same matrix: the run killed after stage 0
(its memory, embeddings and random state saved through the codec; indexes rebuilt from them)
and resumed ends with the uninterrupted run's results, bit for bit on the CPU. (The default
settings of knn, rag and agem also go through tests/contracts/test_strategy_contract.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

import forgetlab
from forgetlab.spec import spec_from_dict
from tests.conftest import killed_after_stage_0, tiny_wordnet


def wordnet(strategy) -> dict:
    d = tiny_wordnet(train_per_class=16, test_per_class=6)
    d["model"]["config_overrides"] = {"num_hidden_layers": 1}
    d["train"]["epochs"] = 1
    d["strategy"] = strategy
    return d


def knowledge(strategy) -> dict:
    return {
        "model": {"name": "tiny-gpt2", "config_overrides": {"n_layer": 1, "n_embd": 32}},
        "stream": {
            "kind": "facts-updates",
            "domains": ["law"],
            "other_domains": ["geography"],
            "facts_per_task": 6,
            "objects_per_relation": 3,
            "repetitions": 2,
            "updates": 1,
            "revise": 0.34,
        },
        "strategy": strategy,
        "train": {"epochs": 2, "batch_size": 8, "lr": 3e-3, "checkpoint": "none"},
    }


CASES = {
    "knn-frozen-balanced": wordnet(
        {"kind": "knn", "memory_size": 9, "selection": "class_balanced", "embeddings": "frozen"}
    ),
    "er+knn": wordnet([{"kind": "er", "memory_size": 8}, {"kind": "knn", "selection": "all"}]),
    "agem-balanced": wordnet(
        {"kind": "agem", "memory_size": 8, "selection": "class_balanced", "sample_size": 4}
    ),
    "rag-embedding": knowledge({"kind": "rag", "retriever": "embedding", "selection": "all"}),
    "rag-bm25+er": knowledge([{"kind": "rag", "memory_size": 8}, {"kind": "er", "memory_size": 8}]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_memory_resumes_to_the_same_matrix(case: str, tmp_path: Path):
    spec = spec_from_dict(CASES[case])
    full = forgetlab.run(spec, out=tmp_path / "full")
    killed_after_stage_0(spec, tmp_path / "killed")
    resumed = forgetlab.resume(tmp_path / "killed")
    assert resumed.results.resumed_after == [0]
    assert resumed.results.accuracy_matrix == full.results.accuracy_matrix
    a, b = full.results.model_dump(), resumed.results.model_dump()
    for kind, info in a["strategy_info"].items():  # the memory itself came back
        assert info["stored"] == b["strategy_info"][kind]["stored"]
    assert a["strategy_cost"].keys() == b["strategy_cost"].keys()
    for kind, cost in a["strategy_cost"].items():
        assert cost["state_bytes"] == b["strategy_cost"][kind]["state_bytes"] > 0
    if "knowledge_updates" in a:  # the margins too, stage by stage
        assert [s["knowledge"] for s in a["stages"]] == [s["knowledge"] for s in b["stages"]]
