"""Pretraining corpora: the WordNet corpus never holds the streams' test pool; category
filters; the hash-fixed held-out part; local files and a Hugging Face builder."""

from __future__ import annotations

import json
import random

import pytest

from forgetlab.data.wordnet import load_wordnet
from forgetlab.errors import DataError
from forgetlab.pretrain.corpus import build_corpus, is_heldout
from forgetlab.pretrain.corpus.files import FilesCorpusSpec
from forgetlab.pretrain.corpus.hf import HFCorpusSpec
from forgetlab.pretrain.corpus.wordnet import WordNetCorpusSpec, segments, words
from forgetlab.streams import build_experiment_stream
from forgetlab.streams.wordnet_stream import in_test_pool


@pytest.fixture(scope="module")
def wordnet_corpus():
    return build_corpus(WordNetCorpusSpec())


def test_the_test_pool_never_appears_in_the_wordnet_corpus(wordnet_corpus):
    corpus = wordnet_corpus
    docs = corpus.train + corpus.heldout
    test_glosses = [g.gloss for g in load_wordnet() if in_test_pool(g.gloss)]
    assert len(test_glosses) > 20_000 and len(docs) > 90_000
    # no definition or usage example of a test-pool gloss is a part of any document
    test_parts = {s for g in test_glosses for s in segments(g)}
    doc_parts = {s for d in docs for s in segments(d.split(": ", 1)[1])}
    assert not test_parts & doc_parts
    # and no test gloss is inside any document as a run of words (a sample of 400 of every
    # length, searched in the whole corpus with case and punctuation ignored)
    text = "\n".join(docs)
    flat = " " + " | ".join(" ".join(words(d)) for d in docs) + " "
    sample = random.Random(0).sample(test_glosses, 400)
    assert not [g for g in sample if f" {' '.join(words(g))} " in flat]
    assert " ".join(words("emit a steady even light without flames")) not in flat
    # the stream's own test examples (a 5-task class-incremental stream) are not there either
    stream = build_experiment_stream_spec()
    tests = [ex.text for t in stream.tasks for ex in t.test]
    assert len(tests) == 750 and not [t for t in tests if f" {' '.join(words(t))} " in flat]
    # while the stream's training glosses are (the train pool is what the corpus is made of)
    trains = [ex.text for t in stream.tasks for ex in t.train[:20]]
    assert sum(t in text for t in trains) >= 0.9 * len(trains)


def build_experiment_stream_spec():
    from forgetlab.spec import spec_from_dict

    return build_experiment_stream(
        spec_from_dict({"stream": {"kind": "wordnet-cil", "test_per_class": 50}})
    )


def candidate_labels(docs: list[str]) -> list[set[str]]:
    """Per document, the categories of the synsets it can come from (same lemma, its parts
    among the gloss's)."""
    by_lemma: dict[str, list] = {}
    for g in load_wordnet():
        by_lemma.setdefault(g.lemma, []).append(g)
    out = []
    for doc in docs:
        lemma, text = doc.split(": ", 1)
        parts = set(segments(text))
        out.append({g.label for g in by_lemma[lemma] if parts <= set(segments(g.gloss))})
    return out


def test_categories_and_exclusions_pick_documents():
    only = build_corpus(WordNetCorpusSpec(categories=["noun.animal", "verb.motion"]))
    cands = candidate_labels(only.train)
    assert all(c & {"noun.animal", "verb.motion"} for c in cands)
    assert sum(c == {"verb.motion"} for c in cands) > 500
    without = build_corpus(WordNetCorpusSpec(categories=["noun.animal", "verb.motion"],
                                             exclude_categories=["verb.motion"]))  # fmt: skip
    assert all("noun.animal" in c for c in candidate_labels(without.train))
    assert len(without.train) < len(only.train)
    assert without.info["excluded"] == ["verb.motion"]
    with pytest.raises(ValueError, match="did you mean 'noun.animal'"):
        WordNetCorpusSpec(categories=["noun.animl"])


def test_held_out_part_is_fixed_by_hash(wordnet_corpus):
    corpus = wordnet_corpus
    assert not set(corpus.train) & set(corpus.heldout)
    share = len(corpus.heldout) / (len(corpus.train) + len(corpus.heldout))
    assert 0.017 < share < 0.023  # heldout_fraction = 0.02
    assert all(is_heldout(d, 0.02) for d in corpus.heldout[:200])
    again = build_corpus(WordNetCorpusSpec(lemmas=True))
    assert again.heldout == corpus.heldout


def test_local_txt_and_jsonl_files(tmp_path):
    txt = tmp_path / "a.txt"
    txt.write_text("".join(f"line number {i} of the text\n\n" for i in range(300)))
    jsonl = tmp_path / "b.jsonl"
    jsonl.write_text("".join(json.dumps({"body": f"record {i}"}) + "\n" for i in range(100)))
    corpus = build_corpus(FilesCorpusSpec(paths=[txt, jsonl], text_field="body",
                                          heldout_fraction=0.1))  # fmt: skip
    assert len(corpus.train) + len(corpus.heldout) == 400  # blank lines are not documents
    assert "record 7" in corpus.train + corpus.heldout
    bad = tmp_path / "c.jsonl"
    bad.write_text('{"text": "x"}\nnot json\n')
    with pytest.raises(DataError, match=r"c.jsonl:2: invalid JSON"):
        build_corpus(FilesCorpusSpec(paths=[bad]))
    with pytest.raises(DataError, match="leave no held-out documents"):
        build_corpus(FilesCorpusSpec(paths=[jsonl], text_field="body", heldout_fraction=0.001))


def test_a_hugging_face_builder_offline(tmp_path):
    data = tmp_path / "docs.txt"
    data.write_text("".join(f"document {i} says something\n" for i in range(200)))
    spec = HFCorpusSpec(path="text", data_files={"train": str(data)}, heldout_fraction=0.1)
    corpus = build_corpus(spec)
    assert len(corpus.train) + len(corpus.heldout) == 200 and corpus.info["kind"] == "hf"
    with pytest.raises(DataError, match="has no column 'body'"):
        build_corpus(spec.model_copy(update={"text_column": "body"}))
