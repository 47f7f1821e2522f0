"""A model folder without its tokenizer, a tokenizer far smaller than the model's embedding,
or one that knows almost no word of the data: refused with one line, before anything runs."""

from __future__ import annotations

import pytest
from torch import nn

from forgetlab.errors import SpecError
from forgetlab.models.tokenizer_check import check_tokenizer, unknown_share
from forgetlab.spec import spec_from_dict
from forgetlab.spec.experiment import ModelSpec
from tests.conftest import cli, tiny_wordnet


@pytest.fixture
def folder_without_tokenizer(tmp_path):
    """tiny-bert's weights and config saved as a local model folder, its tokenizer left out."""
    from forgetlab.models.zoo import load

    spec = spec_from_dict(tiny_wordnet())
    backbone, _, _ = load(spec.model)
    path = tmp_path / "my-bert"
    backbone.save_pretrained(path)  # config.json + model.safetensors only
    return path


def test_validate_and_run_refuse_a_folder_without_tokenizer(
    folder_without_tokenizer, tmp_path, capsys
):
    spec = tmp_path / "exp.toml"
    spec.write_text(
        f'[model]\nname = "{folder_without_tokenizer}"\n'
        '[stream]\nkind = "wordnet-cil"\nn_tasks = 2\nclasses_per_task = 2\n'
        "train_per_class = 10\ntest_per_class = 5\n"
    )
    code, out, err = cli(capsys, "validate", str(spec))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: model directory")
    assert str(folder_without_tokenizer) in lines[0] and "no tokenizer files" in lines[0]
    run_dir = tmp_path / "run"
    code, out, err = cli(capsys, "run", str(spec), "--out", str(run_dir), "--quiet")
    assert code == 2 and "no tokenizer files" in err and len(err.strip().splitlines()) == 1
    assert not run_dir.exists()  # nothing written


def _word_tokenizer(words: list[str]):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(["[UNK]", *words])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]")


def test_a_tokenizer_far_smaller_than_the_embedding_is_refused():
    model = ModelSpec(name="org/model")
    tok = _word_tokenizer(["the", "cat"])  # 3 tokens
    with pytest.raises(SpecError, match=r"'org/model': its tokenizer has 3 tokens .* embeds 7"):
        check_tokenizer(model, nn.Embedding(7, 2), tok)
    check_tokenizer(model, nn.Embedding(6, 2), tok)  # 3 of 6: half, accepted


def test_mostly_unknown_tokens_are_refused():
    model = ModelSpec(name="org/model")
    tok = _word_tokenizer(["the", "cat"])
    emb = nn.Embedding(3, 2)
    assert unknown_share(tok, ["the cat sat", "on the mat"]) == pytest.approx(3 / 6)
    check_tokenizer(model, emb, tok, ["the cat sat", "on the mat"])  # 50%: not most
    assert unknown_share(tok, ["a dog sat", "the cat"]) == pytest.approx(3 / 5)
    with pytest.raises(SpecError, match=r"60% of the tokens of the first 2 training texts"):
        check_tokenizer(model, emb, tok, ["a dog sat", "the cat"])
