"""Prompt design as an axis: the four styles as exact templates, per-task prompts on a
task-incremental stream and one stream prompt on a class-incremental one, the tokenized prompt
a causal LM trains on, and the checks (classifiers do not read prompts)."""

from __future__ import annotations

import pytest

from forgetlab.errors import ForgetlabError, SpecError
from forgetlab.models import build_learner
from forgetlab.spec import spec_from_dict
from forgetlab.streams import build_experiment_stream
from forgetlab.streams.transforms.prompt_design import build_template
from forgetlab.validate import validate

BASE = "{text}\nCategory:"


def test_the_four_styles_as_exact_templates():
    demos = [("a {braced} gloss", "noun animal"), ("another", "noun plant")]
    args = ("Name it.", ["noun animal", "noun plant"], demos)
    assert build_template("bare", BASE, *args) == "{text}"
    assert build_template("description", BASE, *args) == "Name it.\n{text}\nCategory:"
    assert build_template("labels", BASE, *args).format(text="Q") == (
        "Name it.\nLabels: noun animal, noun plant.\nQ\nCategory:"
    )
    few = build_template("few_shot", BASE, *args).format(text="Q")
    assert few == (
        "Name it.\nLabels: noun animal, noun plant.\n\n"
        "a {braced} gloss\nCategory: noun animal\n\n"
        "another\nCategory: noun plant\n\n"
        "Q\nCategory:"
    )


def spec(kind: str = "wordnet-til", model: str = "tiny-gpt2", **prompt):
    return spec_from_dict(
        {
            "model": {"name": model},
            "stream": {
                "kind": kind,
                "n_tasks": 2,
                "classes_per_task": 2,
                "train_per_class": 10,
                "test_per_class": 3,
            },
            "transform": [{"kind": "prompt_design", **prompt}],
            "train": {"max_length": 256},
        }
    )


def test_task_incremental_streams_get_a_prompt_per_task():
    s = spec(style="few_shot", shots=2, description="Task {task}.")
    stream = build_experiment_stream(s)
    assert stream.name == "wordnet-til+prompt_design(few_shot,shots=2)"
    for j, task in enumerate(stream.tasks):
        head, query = task.prompt.split("{text}")
        lines = head.split("\n")
        assert lines[0] == f"Task {task.name}."
        assert lines[1] == "Labels: " + ", ".join(stream.verbalize(c) for c in task.classes) + "."
        demos = [b for b in head.split("\n\n")[1:] if b]
        assert len(demos) == 2
        train = {f"{ex.text}\nCategory: {stream.verbalize(ex.label)}" for ex in task.train}
        assert all(d in train for d in demos)  # from the task's own training data
        assert query == "\nCategory:"
        ex = task.test[0]
        assert stream.format_prompt(ex.text, j) == task.prompt.format(text=ex.text)
    # the causal LM tokenizes exactly that prompt, then the label words
    learner = build_learner(s, stream)
    ex = stream.tasks[1].test[0]
    enc = learner.encode(ex)
    prompt = learner.tokenizer.decode(list(enc.ids[: enc.target_start]))
    assert prompt == stream.tasks[1].prompt.format(text=ex.text)


def test_class_incremental_streams_get_one_prompt_without_task_identity():
    stream = build_experiment_stream(spec("wordnet-cil", style="labels"))
    assert all(t.prompt is None for t in stream.tasks)
    labels = ", ".join(stream.verbalize(c) for c in range(stream.num_classes))
    assert stream.prompt == (
        "Name the WordNet category of the dictionary definition.\n"
        f"Labels: {labels}.\n{{text}}\nCategory:"
    )
    few = build_experiment_stream(spec("wordnet-cil", style="few_shot", shots=3))
    first = {ex.text for ex in few.tasks[0].train}
    demos = [b.split("\nCategory:")[0] for b in few.prompt.split("\n\n")[1:-1]]
    assert len(demos) == 3 and all(d in first for d in demos)  # the first task's data
    bare = build_experiment_stream(spec("wordnet-cil", style="bare"))
    assert bare.format_prompt("gloss", 1) == "gloss"


def test_prompts_are_checked():
    with pytest.raises(ForgetlabError, match="only causal LMs"):
        validate(spec(model="tiny-bert", style="labels"))
    with pytest.raises(SpecError, match=r"transform\.0\.description: \{task\} needs scope"):
        build_experiment_stream(spec("wordnet-cil", style="labels", description="Do {task}."))
    with pytest.raises(SpecError, match="style"):
        spec(style="chatty")
    report = validate(spec(style="description"))  # the formatted example shows the prompt
    assert report.examples[0][1].startswith("Name the WordNet category")
