"""`prompt_design`: the prompt design of a text-to-text stream, as an axis of its own.

[[transform]]
kind = "prompt_design"
style = "few_shot"         # bare | description | labels | few_shot
shots = 3                  # few_shot: demonstrations
description = "..."        # default: the stream's (see DESCRIPTIONS); {task}: the task's name
scope = "auto"             # task | stream | auto (task-incremental: task, else stream)

Styles, for a stream whose template is "{text}\\nCategory:":
- bare: the input alone, "{text}", then the label words;
- description: a line describing the task, then the stream's template;
- labels: the description, "Labels: a, b, c.", then the template;
- few_shot: the description, the labels, then `shots` demonstrations drawn (by seed) from the
  distinct texts of the training data, each written in the template with its label and a blank
  line, then the template.

With scope "task" each task gets its own prompt: `{task}` in the description is its name, the
labels are its own, the demonstrations come from its own training data. That tells the model
which task an example belongs to, which a task-incremental stream gives anyway but a
class-incremental one must not; there scope "stream" (the default under "auto") writes one
prompt for every task: the description, every label of the stream (future classes' names
included: the label space, no task identity), demonstrations from the first task's training
data (the only task trained before anything is tested). On a facts stream, whose test asks the
training facts, a demonstration answers its own test question. Only causal LMs read prompts
(`validate` says so for classifiers). The stream name records the choice
(`wordnet-cil+prompt_design(few_shot,shots=3)`), and so results.json.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Literal

from pydantic import Field, PositiveInt

from forgetlab.errors import ForgetlabError
from forgetlab.streams.task import Example, Stream, Task
from forgetlab.streams.transforms.base import Transform, TransformSpecBase, transforms

STYLES = ("bare", "description", "labels", "few_shot")
# Default descriptions by the stream kind its name starts with (else GENERIC).
DESCRIPTIONS = {
    "wordnet": "Name the WordNet category of the dictionary definition.",
    "facts": "Complete the statement with the right fact.",
}
GENERIC = "Label the text."


class PromptDesignSpec(TransformSpecBase):
    kind: Literal["prompt_design"] = "prompt_design"
    style: Literal["bare", "description", "labels", "few_shot"] = Field(
        "description", description="bare | description | labels | few_shot (each adds)"
    )
    shots: PositiveInt = Field(2, description="few_shot: demonstrations in the prompt")
    description: str | None = Field(
        None, description="the task description ({task}: the task's name); default: the stream's"
    )
    scope: Literal["auto", "task", "stream"] = Field(
        "auto", description="a prompt per task, or one for the stream (auto: by the scenario)"
    )


def _literal(text: str) -> str:
    """`text` as literal characters of a str.format template."""
    return text.replace("{", "{{").replace("}", "}}")


def build_template(
    style: str,
    base: str,
    description: str,
    labels: list[str],
    demos: list[tuple[str, str]],
) -> str:
    """A prompt template (with {text}) from the stream's own `base` template (with {text})."""
    if style == "bare":
        return "{text}"
    head = description + "\n"
    if style in ("labels", "few_shot"):
        head += "Labels: " + ", ".join(labels) + ".\n"
    if style == "few_shot":
        head += "\n" + "".join(f"{base.format(text=t)} {label}\n\n" for t, label in demos)
    return _literal(head) + base


@transforms.register("prompt_design", help="prompt design: bare, description, labels, few-shot")
class PromptDesign(Transform):
    Spec = PromptDesignSpec

    @staticmethod
    def check_mode(mode: str) -> None:
        if mode == "classifier":
            raise ForgetlabError(
                "transform prompt_design: only causal LMs (text_to_text mode) read prompts; "
                f"this model is a {mode}"
            )

    def params(self) -> list[str]:
        extra = [f"shots={self.spec.shots}"] if self.spec.style == "few_shot" else []
        return [self.spec.style, *extra]

    def _description(self, stream: Stream, task: str | None) -> str:
        text = self.spec.description
        if text is None:
            kind = next((k for k in DESCRIPTIONS if stream.name.startswith(k)), None)
            text = DESCRIPTIONS.get(kind, GENERIC)
        if "{task}" in text and task is None:
            raise self.error("description", "{task} needs scope = 'task'")
        return text.replace("{task}", task or "")

    def _demos(self, stream: Stream, pool: tuple[Example, ...], rng: random.Random):
        if self.spec.style != "few_shot":
            return []
        distinct = list({ex.text: ex for ex in pool}.values())  # copies of a text: once
        chosen = rng.sample(distinct, min(self.spec.shots, len(distinct)))
        return [(ex.text, stream.verbalize(ex.label)) for ex in chosen]

    def _template(self, stream: Stream, task: Task | None, rng: random.Random) -> str:
        if task is None:  # one prompt for the stream
            labels = [stream.verbalize(c) for c in range(stream.num_classes)]
            pool, base, name = stream.tasks[0].train, stream.prompt, None
        else:
            labels = [stream.verbalize(c) for c in task.classes]
            pool, base, name = task.train, task.prompt or stream.prompt, task.name
        description = self._description(stream, name)
        return build_template(
            self.spec.style, base, description, labels, self._demos(stream, pool, rng)
        )

    def transform(self, stream: Stream, rng: random.Random) -> Stream:
        scope = self.spec.scope
        if scope == "auto":
            scope = "task" if stream.scenario == "task_incremental" else "stream"
        if scope == "stream":
            plain = replace(stream, tasks=tuple(replace(t, prompt=None) for t in stream.tasks))
            return replace(plain, prompt=self._template(stream, None, rng))
        tasks = tuple(replace(t, prompt=self._template(stream, t, rng)) for t in stream.tasks)
        return replace(stream, tasks=tasks)
