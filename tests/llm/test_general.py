"""General ability: held-out perplexity (checked by hand), unseen tasks outside the stream,
per-stage records, the two metrics, the report figure; lm-eval after the chosen stages."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
import torch

import forgetlab
from forgetlab.errors import SpecError
from forgetlab.general.perplexity import text_losses
from forgetlab.general.texts import general_texts, pretrain_info_folder, wordnet_texts
from forgetlab.general.unseen import choice_correct, wordnet_choice_tasks
from forgetlab.models.zoo import load
from forgetlab.spec import ModelSpec, spec_from_dict
from tests.llm.lm_eval_task import write_task


def tiny(name="tiny-gpt2"):
    torch.manual_seed(0)
    backbone, tok, _ = load(ModelSpec(name=name, config_overrides={"n_layer": 1}))
    return backbone.eval(), tok


def test_text_losses_by_hand_and_independent_of_batching():
    backbone, tok = tiny()
    texts = ["a dog: a domesticated canid", "run: move fast by using the feet", "x"]
    nll, count = text_losses(backbone, tok, texts, batch_size=3, max_length=64)
    for i, text in enumerate(texts):
        ids = [tok.eos_token_id] + tok(text, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logp = torch.log_softmax(backbone(input_ids=torch.tensor([ids])).logits[0], -1)
        want = -sum(float(logp[k, ids[k + 1]]) for k in range(len(ids) - 1))
        assert count[i] == len(ids) - 1  # every token of the text is scored
        assert nll[i] == pytest.approx(want, rel=1e-4)
    one = [text_losses(backbone, tok, [t], batch_size=1, max_length=64)[0][0] for t in texts]
    assert np.allclose(one, nll, rtol=1e-4)  # right padding changes nothing


def test_wordnet_texts_are_test_pool_and_balanced():
    from forgetlab.data.wordnet import load_wordnet
    from forgetlab.streams.wordnet_stream import in_test_pool

    ts = wordnet_texts(10, seed=0)
    assert sorted(ts.domains) == sorted(
        ["noun"] * 3 + ["verb"] * 3 + ["adjective"] * 2 + ["adverb"] * 2
    )
    pool = {f"{g.lemma}: {g.gloss}" for g in load_wordnet() if in_test_pool(g.gloss)}
    assert set(ts.texts) <= pool
    assert general_texts("auto", "tiny-gpt2", 10, 0).texts == ts.texts  # no pretrain.json


def test_unseen_tasks_avoid_the_streams_categories_and_rank_like_the_learner():
    stream_cats = {"noun.animal", "noun.plant", "verb.motion"}
    tasks = wordnet_choice_tasks(stream_cats, 3, 3, 5, seed=0)
    used = {c for t in tasks for c in t.name.split("+")}
    assert len(used) == 9 and not used & stream_cats
    backbone, tok = tiny()
    task = tasks[0]
    correct, answer_nll = choice_correct(backbone, tok, task, batch_size=4, max_length=64)
    assert correct.shape == (15,) and set(np.unique(correct)) <= {0.0, 1.0}
    # the same ranking as the text-to-text learner's over the same prompt and labels
    from forgetlab.models.text_to_text import TextToTextLearner
    from forgetlab.streams.task import Example, Stream, Task

    names = task.name.split("+")
    exs = tuple(Example(t, a, 0, i) for i, (t, a) in enumerate(task.items))
    stream = Stream("u", "task_incremental", tuple(names), (Task("u", (0, 1, 2), exs, exs),))
    learner = TextToTextLearner(backbone, tok, stream, max_length=64)
    batch = learner.collate([learner.encode(e) for e in exs])
    predicted = learner.predict(batch, (0, 1, 2))
    assert ((predicted == batch.labels).float().numpy() == correct).all()
    assert (answer_nll > 0).all()


def test_pretrain_json_without_the_pretraining_package_is_one_line(tmp_path):
    folder = tmp_path / "run" / "checkpoints" / "tokens-000000001000"
    folder.mkdir(parents=True)
    (folder / "pretrain.json").write_text(
        '{"tokens": 1000, "step": 10, "path": "checkpoints/tokens-000000001000"}'
    )
    assert pretrain_info_folder(str(tmp_path / "run")) == folder
    try:
        import forgetlab.pretrain  # noqa: F401
    except ImportError:
        with pytest.raises(SpecError, match="general.text: the model has a pretrain.json"):
            general_texts("auto", str(folder), 10, 0)
    else:  # with the pretraining package: its run's spec.toml is needed
        with pytest.raises(SpecError, match="spec.toml"):
            general_texts("auto", str(folder), 10, 0)


def test_a_ladder_checkpoint_is_scored_on_its_pretraining_heldout_part(tmp_path, monkeypatch):
    """The run directory is found from pretrain.json's relative path, its spec.toml read by the
    pretraining package (stood in for here: its two entry points) and the held-out documents
    of the corpus it names are the texts."""
    import sys
    import types

    root = tmp_path / "ladder"
    folder = root / "checkpoints" / "tokens-000000002000"
    folder.mkdir(parents=True)
    (folder / "pretrain.json").write_text(
        '{"tokens": 2000, "step": 4, "path": "checkpoints/tokens-000000002000"}'
    )
    (root / "spec.toml").write_text('name = "ladder"\n')
    heldout = [f"held-out document {i}" for i in range(30)]
    seen = []

    def load_pretrain_spec(path):
        seen.append(path)
        return types.SimpleNamespace(corpus="the corpus spec")

    def build_corpus(corpus):
        assert corpus == "the corpus spec"
        return types.SimpleNamespace(train=["x"], heldout=heldout)

    fake_spec = types.ModuleType("forgetlab.pretrain.spec")
    fake_spec.load_pretrain_spec = load_pretrain_spec
    fake_corpus = types.ModuleType("forgetlab.pretrain.corpus")
    fake_corpus.build_corpus = build_corpus
    monkeypatch.setitem(sys.modules, "forgetlab.pretrain", types.ModuleType("forgetlab.pretrain"))
    monkeypatch.setitem(sys.modules, "forgetlab.pretrain.spec", fake_spec)
    monkeypatch.setitem(sys.modules, "forgetlab.pretrain.corpus", fake_corpus)
    for model in (str(root), str(folder)):  # the run directory (last checkpoint) or one checkpoint
        ts = general_texts("auto", model, 10, seed=0)
        assert ts.source == "held-out part of ladder's pretraining corpus"
        assert len(ts.texts) == 10 and set(ts.texts) <= set(heldout)
        assert ts.domains == ["pretrain"] * 10
    assert seen == [root / "spec.toml"] * 2
    with pytest.raises(SpecError, match="has no pretrain.json"):
        general_texts("pretrain", "tiny-gpt2", 10, 0)


def test_a_real_ladder_run_is_scored_on_its_corpus_heldout_part(tmp_path):
    """A tiny `forgetlab pretrain` run: [general] on a model fine-tuned from it scores the
    held-out documents of the corpus it was pretrained on."""
    pretrain = pytest.importorskip("forgetlab.pretrain", reason="no pretraining package")
    from forgetlab.pretrain.corpus import build_corpus
    from tests.pretrain.helpers import corpus_file, tiny_spec

    corpus = corpus_file(tmp_path, n=600)
    d = tiny_spec(corpus, train={"tokens": 1024, "resume_every": 100}, checkpoints={"at": [0]})
    spec = pretrain.pretrain_spec_from_dict(d)
    ladder = pretrain.pretrain(spec, out=tmp_path / "ladder").run_dir
    heldout = build_corpus(spec.corpus).heldout
    ts = general_texts("auto", str(ladder), 10, seed=0)
    assert ts.source == "held-out part of ladder's pretraining corpus"
    assert len(ts.texts) == min(10, len(heldout)) and set(ts.texts) <= set(heldout)
    run = forgetlab.run(
        spec_from_dict(
            {
                "model": {"name": str(ladder)},
                "stream": {"kind": "wordnet-til", "n_tasks": 1, "classes_per_task": 2,
                           "train_per_class": 8, "test_per_class": 4},
                "train": {"epochs": 1, "batch_size": 8, "max_length": 32, "checkpoint": "none"},
                "general": {"max_texts": 6, "max_length": 32, "unseen_tasks": 0},
            }
        ),
        out=tmp_path / "run",
    ).results.model_dump()  # fmt: skip
    assert run["general"]["text_source"] == ts.source
    assert run["general"]["domains"] == ["pretrain"]
    assert run["general"]["unseen_task_drop"] is None  # no unseen tasks: no such figure


def test_general_observer_per_stage_metrics_and_report(tmp_path, toy_files, monkeypatch):
    pytest.importorskip("lm_eval", reason="lm-eval is not installed (extra 'lmeval')")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-datasets"))
    train, test = toy_files
    spec = spec_from_dict(
        {
            "name": "general",
            "model": {"name": "tiny-gpt2", "config_overrides": {"n_layer": 1, "n_embd": 32}},
            "stream": {"kind": "files", "train": str(train), "test": str(test)},
            "train": {
                "epochs": 1,
                "lr": 1e-2,
                "batch_size": 16,
                "checkpoint": "none",
                "max_length": 32,
            },
            "general": {
                "max_texts": 8,
                "max_length": 32,
                "unseen_tasks": 1,
                "unseen_classes_per_task": 2,
                "unseen_per_class": 4,
                "lm_eval_tasks": ["forgetlab_toy_mc"],
                "lm_eval_include_path": str(write_task(tmp_path / "tasks")),
                "lm_eval_stages": "last",
            },
        }
    )
    run = forgetlab.run(spec, out=tmp_path / "run", report=True)
    res = run.results.model_dump()
    g = res["general"]
    assert g["stages"] == [-1, 0, 1] and g["texts"] == 8
    assert g["text_source"] == "WordNet test-pool glosses"
    ppl = g["series"]["perplexity"]
    unseen = g["series"]["unseen accuracy"]
    assert len(ppl) == len(unseen) == 3 and all(p > 1 for p in ppl)
    for i, stage in enumerate(res["stages"]):  # each stage's record holds its own values
        rec = stage["general"]
        assert rec["perplexity"] == ppl[i + 1] and rec["unseen_accuracy"] == unseen[i + 1]
        assert set(rec["perplexity_by_domain"]) == {"noun", "verb", "adjective", "adverb"}
        assert ("lm_eval" in rec) == (i == 1)  # lm-eval: before training and after the last
    assert g["series"]["forgetlab_toy_mc acc"][1] is None
    assert g["general_ppl_increase"] == pytest.approx(ppl[-1] / ppl[0] - 1)
    assert g["unseen_task_drop"] == pytest.approx(unseen[0] - unseen[-1])
    assert not set(g["unseen_tasks"][0].split("+")) & set(res["classes"])
    rows = list(csv.DictReader((run.run_dir / "scores.csv").open()))
    got = {(r["stage"], r["task"]) for r in rows if r["metric"] == "general_ppl"}
    assert {("-1", ""), ("0", ""), ("1", ""), ("1", "verb")} <= got
    assert any(r["metric"] == "lm_eval_acc" and r["stage"] == "1" for r in rows)
    assert (run.run_dir / "figures" / "general_ability.png").is_file()
    html = (run.run_dir / "report.html").read_text()
    assert "general_ppl_increase" in html and "General ability" in html
    assert not math.isnan(g["general_ppl_increase"])


def test_general_needs_a_causal_lm():
    spec = spec_from_dict(
        {
            "model": {"name": "tiny-bert"},
            "stream": {"kind": "wordnet-cil", "n_tasks": 1},
            "general": {},
        }
    )
    from forgetlab.validate import check_parts

    with pytest.raises(SpecError, match="general: needs a causal LM"):
        check_parts(spec, "classifier", "class_incremental")
