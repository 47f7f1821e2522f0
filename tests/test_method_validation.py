"""Bad method/model combinations fail at `forgetlab validate` with one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomli_w

from forgetlab.errors import ForgetlabError
from forgetlab.spec import spec_from_dict
from forgetlab.validate import validate


def spec(model: str, method: dict):
    return spec_from_dict(
        {
            "model": {"name": model},
            "method": method,
            "stream": {"kind": "wordnet-cil", "n_tasks": 2, "classes_per_task": 2},
        }
    )


@pytest.mark.parametrize(
    ("model", "method", "message"),
    [
        (
            "minilm",
            {"kind": "lora", "target_modules": ["q_proj"]},
            "LoRA target ['q_proj'] not found in BertModel",
        ),
        ("minilm", {"kind": "freeze", "bottom": 9}, "method.bottom: the model has 6 blocks"),
        (
            "tiny-gpt2",
            {"kind": "ia3", "target_modules": ["query"]},
            "IA3 target ['query'] not found",
        ),
        ("tiny-lstm", {"kind": "prompt"}, "needs a transformers model with input embeddings"),
        ("tiny-lstm", {"kind": "prefix"}, "needs a transformers model"),
        ("tiny-lstm", {"kind": "lora"}, "peft has no default LoRA targets for LSTMEncoder"),
        ("tiny-lstm", {"kind": "adapter"}, "knows BERT-, GPT-2- and Llama-style models"),
        ("tiny-lstm", {"kind": "freeze", "bottom": 1}, "cannot find the transformer block list"),
    ],
)
def test_bad_combination_fails_at_validate(model, method, message):
    with pytest.raises(ForgetlabError, match=message.replace("[", r"\[").replace("]", r"\]")):
        validate(spec(model, method))


def test_good_combinations_validate():
    for model, method in [
        ("minilm", {"kind": "lora"}),
        ("tiny-llama", {"kind": "lora"}),
        ("tiny-lstm", {"kind": "head"}),
        ("tiny-lstm", {"kind": "full"}),
        ("minilm", {"kind": "freeze", "top": 2}),
    ]:
        validate(spec(model, method))


def test_freeze_needs_exactly_one_of_bottom_and_top():
    with pytest.raises(ForgetlabError, match="set exactly one of bottom"):
        spec("minilm", {"kind": "freeze"})


def test_cli_reports_the_combination(tmp_path: Path, capsys):
    import sys

    from forgetlab.cli.main import main

    path = tmp_path / "s.toml"
    path.write_text(
        tomli_w.dumps(
            {
                "model": {"name": "tiny-lstm"},
                "method": {"kind": "prompt"},
                "stream": {"kind": "wordnet-cil", "n_tasks": 2},
            }
        )
    )
    sys.argv = ["forgetlab", "validate", str(path)]
    with pytest.raises(SystemExit) as e:
        main()
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("error: method 'prompt' needs a transformers model") and err.count("\n") == 1
    )
