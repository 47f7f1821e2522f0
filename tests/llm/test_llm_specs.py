"""experiments/llm/: the GPU specs for Qwen2.5-0.5B and Pythia-410m validated as far as offline
allows: every field, the bundled stream, strategies and observers, LoRA targets on the same
architectures built small from their transformers configs, Dolly rows, lm-eval task names."""

from __future__ import annotations

from pathlib import Path

import pytest

from forgetlab.audit.suite import load_suite
from forgetlab.spec import load_spec
from forgetlab.streams import build_experiment_stream
from forgetlab.streams.chat_stream import parse_record
from forgetlab.validate import check_parts, validate

LLM = Path(__file__).parents[2] / "experiments" / "llm"
HUB = sorted(p for p in LLM.glob("*.toml") if not p.name.startswith("tiny"))


def small_model(hub_id: str):
    """The hub model's architecture from its transformers config class, a few layers wide."""
    from transformers import AutoModelForCausalLM, GPTNeoXConfig, Qwen2Config

    if hub_id.startswith("Qwen/"):
        cfg = Qwen2Config(
            vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2,
        )  # fmt: skip
    else:
        cfg = GPTNeoXConfig(
            vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=4,
        )  # fmt: skip
    return AutoModelForCausalLM.from_config(cfg)


def test_the_four_model_method_pairs_on_both_streams():
    names = {p.stem for p in HUB}
    assert names == {
        f"{m}-{k}-{s}"
        for m in ("qwen2.5-0.5b", "pythia-410m")
        for k in ("lora", "full")
        for s in ("wordnet", "dolly")
    }


@pytest.mark.parametrize("path", HUB, ids=lambda p: p.stem)
def test_hub_spec_validates_offline(path: Path):
    from forgetlab.methods import build_method

    spec = load_spec(path)
    assert spec.train.precision == "bf16" and spec.general.lm_eval_tasks == [
        "hellaswag",
        "arc_easy",
    ]
    build_method(spec.method).check(small_model(spec.model.name), "text_to_text")
    if spec.stream.kind == "wordnet-instruct":
        stream = build_experiment_stream(spec)
        assert stream.generative and len(stream.tasks) == 4
        assert all(len(t.train) == 1000 and len(t.test) == 100 for t in stream.tasks)
        check_parts(spec, "text_to_text", stream.scenario)
    else:  # Dolly: the hub dataset's columns map onto the chat record
        row = {
            "instruction": "Who wrote it?",
            "context": "Hamlet is a play by Shakespeare.",
            "response": "Shakespeare",
            "category": "closed_qa",
        }
        rec = parse_record(row, spec.stream, "train[0]")
        assert rec.text == "Who wrote it?\n\nHamlet is a play by Shakespeare."
        assert rec.target == "Shakespeare" and rec.task == "closed_qa"
        check_parts(spec, "text_to_text", "generative")


def test_lm_eval_knows_the_hub_tasks():
    pytest.importorskip("lm_eval", reason="lm-eval is not installed (extra 'lmeval')")
    from lm_eval.tasks import TaskManager

    assert set(TaskManager().match_tasks(["hellaswag", "arc_easy"])) == {"hellaswag", "arc_easy"}


def test_tiny_spec_validates_fully_and_the_suite_loads():
    report = validate(load_spec(LLM / "tiny_gpt2_wordnet_instruct.toml"))
    assert report.mode == "text_to_text" and report.stream.task_names == ["category", "pos"]
    suite = load_suite(LLM / "suites" / "wordnet_plus_files.toml")
    assert suite.bootstrap == 2000 and suite.lm_eval.tasks == ["hellaswag", "arc_easy"]
