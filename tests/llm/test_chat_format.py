"""Chat formatting: the prompt (plain template or the tokenizer's chat template) is context
only; the loss covers exactly the response tokens (and the end of the turn)."""

from __future__ import annotations

import pytest
import torch

from forgetlab.errors import DataError, SpecError
from forgetlab.models.chat_format import ChatFormat, plain_prompt
from forgetlab.models.generative import GenerativeLearner
from forgetlab.models.zoo import bpe_tokenizer
from forgetlab.spec import spec_from_dict
from forgetlab.streams import build_stream, is_generative
from forgetlab.streams.chat_stream import ChatStreamSpec
from forgetlab.streams.task import Example, Stream
from tests.llm.helpers import ANSWERS, CHATML, chat_rows, write_jsonl

EX = Example("goal ball", -1, 0, 0, target="sports")


def chatml_tokenizer():
    tok = bpe_tokenizer()
    tok.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    tok.chat_template = CHATML
    return tok


def stream_of(template: str) -> Stream:
    return Stream("s", "generative", (), (), prompt="", info={"template": template})


def test_plain_template_text_is_the_documented_one():
    ex = Example(
        "and now?",
        -1,
        0,
        0,
        target="done",
        context=(("system", "Be brief."), ("user", "hi"), ("assistant", "hello")),
    )
    assert plain_prompt(ex) == (
        "Be brief.\n\n### Instruction:\nhi\n\n### Response:\nhello\n\n"
        "### Instruction:\nand now?\n\n### Response:\n"
    )


def test_plain_format_masks_the_prompt_and_ends_the_target_with_eos():
    tok = bpe_tokenizer()
    learner = GenerativeLearner(torch.nn.Linear(1, 1), tok, stream_of("auto"), max_length=64)
    assert learner.format.kind == "plain"  # the tiny tokenizer has no chat template
    enc = learner.encode(EX)
    prompt = tok(plain_prompt(EX), add_special_tokens=True)["input_ids"]
    answer = tok("sports", add_special_tokens=False)["input_ids"]
    assert list(enc.ids) == prompt + answer + [tok.eos_token_id]
    assert enc.target_start == len(prompt)
    batch = learner.collate([enc, learner.encode(Example("song", -1, 0, 1, target="music"))])
    t = batch.target_ids[0]
    assert (t[: len(prompt)] == -100).all()  # no loss on any prompt token
    assert t[len(prompt) : len(enc.ids)].tolist() == answer + [tok.eos_token_id]
    music = tok("music", add_special_tokens=False)["input_ids"]
    assert (batch.target_ids != -100).sum(1).tolist() == [len(answer) + 1, len(music) + 1]
    assert learner.prompt_ids(EX) == prompt


def test_chat_template_target_is_the_response_and_the_turn_end():
    tok = chatml_tokenizer()
    fmt = ChatFormat(tok, "auto")
    assert fmt.kind == "chat_template"
    assert fmt.prompt_text(EX) == "<|im_start|>user\ngoal ball<|im_end|>\n<|im_start|>assistant\n"
    assert fmt.target_text(EX) == "sports<|im_end|>\n"
    assert fmt.turn_end == "<|im_end|>\n"
    im_end = tok.convert_tokens_to_ids("<|im_end|>")
    assert fmt.stop_ids == [tok.eos_token_id, im_end]
    prompt, target = fmt.encode(EX)
    assert tok.decode(prompt) == fmt.prompt_text(EX)
    assert target[-2:] == tok("<|im_end|>\n", add_special_tokens=False)["input_ids"]
    assert fmt.clean("sports<|im_end|>\n<|im_start|>user") == "sports"
    # "plain" ignores the template
    assert ChatFormat(tok, "plain").kind == "plain"


def test_truncation_keeps_the_end_of_the_prompt_and_the_start_of_the_response():
    tok = bpe_tokenizer()
    learner = GenerativeLearner(torch.nn.Linear(1, 1), tok, stream_of("plain"), max_length=16)
    long = Example(" ".join(["word"] * 40), -1, 0, 0, target=" ".join(["answer"] * 40))
    enc = learner.encode(long)
    assert len(enc.ids) == 16 and enc.target_start == 8  # half the room each
    full_prompt, full_target = learner.format.encode(long)
    assert list(enc.ids[:8]) == full_prompt[-8:]  # ends with "### Response:\n"
    assert list(enc.ids[8:]) == full_target[:8]


def test_chat_stream_reads_messages_and_instructions(tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", chat_rows(3, seed=0, messages=True))
    stream = build_stream(ChatStreamSpec(train=path, test_fraction=0.3, system_prompt="Be brief."))
    assert stream.generative and stream.class_names == ()
    assert stream.task_names == ["home", "leisure"] or stream.task_names == ["leisure", "home"]
    ex = stream.tasks[0].train[0]
    assert ex.label == -1 and ex.target in ANSWERS
    assert ex.context == (("system", "Be brief."),)
    n = sum(len(t.train) + len(t.test) for t in stream.tasks)
    assert n == 6  # every record on one side of the split
    alpaca = [{"instruction": "Add", "input": "2 and 3", "output": "5", "task": "math"}]
    p2 = write_jsonl(tmp_path / "a.jsonl", alpaca * 2)
    s2 = build_stream(ChatStreamSpec(train=p2, test=p2, response_column="output"))
    assert s2.tasks[0].train[0].text == "Add\n\n2 and 3" and s2.tasks[0].train[0].target == "5"


def test_chat_stream_bad_input_is_one_line(tmp_path):
    bad = write_jsonl(tmp_path / "b.jsonl", [{"task": "x", "messages": [{"role": "user"}]}])
    with pytest.raises(DataError, match=r"b.jsonl:1: message 0 needs a role"):
        build_stream(ChatStreamSpec(train=bad))
    ends = [{"messages": [{"role": "assistant", "content": "hi"}]}]
    with pytest.raises(DataError, match="must end with a user message"):
        build_stream(ChatStreamSpec(train=write_jsonl(tmp_path / "e.jsonl", ends)))
    with pytest.raises(DataError, match="missing column 'response'"):
        build_stream(
            ChatStreamSpec(train=write_jsonl(tmp_path / "m.jsonl", [{"instruction": "a"}]))
        )
    with pytest.raises(SpecError, match="either train"):
        spec_from_dict({"stream": {"kind": "chat"}})


def test_generative_streams_refuse_classifiers_and_exact_match(tmp_path):
    path = write_jsonl(tmp_path / "c.jsonl", chat_rows(3, seed=0))
    spec = spec_from_dict(
        {"model": {"name": "tiny-bert"}, "stream": {"kind": "chat", "train": str(path)}}
    )
    assert is_generative(spec.stream)
    from forgetlab.validate import validate

    with pytest.raises(SpecError, match="needs a causal LM"):
        validate(spec)
    em = spec_from_dict(
        {
            "model": {"name": "tiny-gpt2"},
            "stream": {"kind": "chat", "train": str(path)},
            "eval": {"exact_match": True},
        }
    )
    with pytest.raises(SpecError, match="scored by generation already"):
        validate(em)
    report = validate(spec.model_copy(update={"model": em.model}))
    assert report.examples[0][1].split("  ->  ")[1] in ANSWERS
