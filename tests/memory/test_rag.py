"""`rag`: prompts contain exactly the retrieved items (best last), retrieval finds the planted
item (the stored training copy of a test fact), an example never retrieves itself, training
and test contexts follow `at_train`/`at_test`, and with `newest` the memory holds the newest
version of each revised fact."""

from __future__ import annotations

import pytest
import torch

from forgetlab.errors import SpecError
from forgetlab.retrieval.bm25 import BM25Index
from forgetlab.retrieval.embed import embed
from forgetlab.spec import spec_from_dict
from forgetlab.strategies.rag import render
from forgetlab.train.encode import EncodeCache
from tests.conftest import loop


def rag_spec(**rag):
    return spec_from_dict(
        {
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
            "strategy": {"kind": "rag", "selection": "all", **rag},
            "train": {"epochs": 1, "batch_size": 8, "lr": 1e-3, "max_length": 96},
        }
    )


def decoded_prompt(learner, item) -> str:
    return learner.tokenizer.decode(list(item.ids[: item.target_start]))


def test_prompts_hold_exactly_the_retrieved_items():
    learner, stream, (rag,), stages = loop(rag_spec(k=2, at_train=False))
    next(stages), next(stages)  # before training, then stage 0 (law)
    law = stream.tasks[0]
    items = rag.memory_.items
    assert len(items) == 6  # one per fact: two copies of each text, the newest kept
    index = BM25Index([it.text for it in items])
    for ex in law.test:
        rows = index.search(ex.text, 2)
        assert items[rows[0]].text == ex.text  # the planted nearest: its own training fact
        assert items[rows[0]].label == ex.label
        want = render(stream, [items[r] for r in rows], rag.spec.template)
        second, first = want.splitlines()  # best last, nearest the question
        assert first == f"{ex.text} {stream.verbalize(ex.label)}"
        assert second == f"{items[rows[1]].text} {stream.verbalize(items[rows[1]].label)}"
        assert rag.prompt_context(learner, [ex]) == [want]
        (enc,) = EncodeCache(learner)([ex])  # the run's tokenization path
        assert decoded_prompt(learner, enc) == want + stream.format_prompt(ex.text, 0)
    # at_train = false: training examples are tokenized without a context
    train = list(law.train[:3])
    assert rag.prompt_context(learner, train) == ["", "", ""]


def test_training_examples_never_retrieve_themselves():
    learner, stream, (rag,), stages = loop(rag_spec(k=1, at_test=False))
    next(stages), next(stages)
    items = rag.memory_.items
    stored = {it.uid for it in items}
    for ex in stream.tasks[0].train:
        (context,) = rag.prompt_context(learner, [ex])
        (found,) = [it for it in items if context == render(stream, [it], rag.spec.template)]
        assert found.uid != ex.uid
        if ex.uid not in stored:  # the other copy of its fact is the one stored: found it
            assert found.text == ex.text
    assert rag.prompt_context(learner, list(stream.tasks[0].test[:2])) == ["", ""]


def test_newest_version_replaces_the_revised_fact():
    learner, stream, (rag,), stages = loop(rag_spec(k=1))
    results = list(stages)
    assert [r.stage for r in results] == [-1, 0, 1, 2]
    update = stream.tasks[2]
    assert update.name == "update1" and len(update.test) == 2
    by_text = {it.text: it for it in rag.memory_.items}
    assert len(rag.memory_) == 12  # 2 domains x 6 facts; revisions replaced, not added
    law = {ex.text: ex for ex in stream.tasks[0].test}
    for ex in update.test:
        new = by_text[ex.text]
        assert stream.class_names[new.label] == stream.class_names[ex.label]  # the new object
        assert new.task == 2
        assert stream.class_names[new.label] != stream.class_names[law[ex.text].label]
        (context,) = rag.prompt_context(learner, [law[ex.text]])  # the old fact's own prompt
        assert context == f"{ex.text} {stream.verbalize(ex.label)}\n"
    summary = rag.summary()
    assert summary["stored"] == 12 and len(summary["retrieval_s"]) == 3
    assert rag.state_bytes() == sum(len(it.text.encode()) + 8 for it in rag.memory_.items)


def test_embedding_retriever_uses_cosine_over_the_models_embeddings():
    learner, stream, (rag,), stages = loop(rag_spec(k=2, retriever="embedding"))
    next(stages), next(stages)
    items = rag.memory_.items
    rows = embed(learner, [learner.encode(it) for it in items])
    assert torch.allclose(rag.embeddings_, rows, atol=1e-5)  # re-embedded after stage 0
    for ex in stream.tasks[0].test[:3]:
        q = embed(learner, [learner.encode(ex)])
        best = torch.nn.functional.cosine_similarity(q, rows).topk(2).indices.tolist()
        want = render(stream, [items[i] for i in best], rag.spec.template)
        assert rag.prompt_context(learner, [ex]) == [want]


def test_bad_rag_specs_name_the_field():
    with pytest.raises(SpecError, match="template"):
        rag_spec(template="{prompt} {answer}")
    with pytest.raises(SpecError, match="nothing would be retrieved"):
        rag_spec(at_train=False, at_test=False)
    with pytest.raises(SpecError, match="selection 'all'"):
        rag_spec(memory_size=10)
