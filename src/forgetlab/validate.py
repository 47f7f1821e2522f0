"""Check a spec end to end without loading a model: names, data files, tasks, formatting."""

from __future__ import annotations

from dataclasses import dataclass

from forgetlab.errors import SpecError
from forgetlab.methods import build_method
from forgetlab.models import describe, skeleton
from forgetlab.models.fit import check_fit
from forgetlab.spec import ExperimentSpec
from forgetlab.strategies import build_strategies
from forgetlab.streams import build_experiment_stream
from forgetlab.streams.task import Stream
from forgetlab.streams.transforms import build_transforms


@dataclass(frozen=True)
class ValidationReport:
    stream: Stream
    mode: str  # classifier | text_to_text | auto (a hub model, decided when loaded)
    model_source: str  # registered | local | hub
    examples: list[tuple[str, str]]  # (task name, first training example as the model sees it)


def format_example(
    stream: Stream, mode: str, text: str, label: int, task: int | None = None, target=None
) -> str:
    if target is not None:  # generative streams: the instruction and its response
        return f"{text}  ->  {target}"
    if mode == "text_to_text":
        return f"{stream.format_prompt(text, task)} {stream.verbalize(label)}"
    return f"{text}  ->  {stream.class_names[label]}"


def check_parts(spec: ExperimentSpec, mode: str, scenario: str) -> None:
    """Raise a ForgetlabError when a strategy or an observer the spec asks for cannot work
    with this learner mode and scenario (shared by `forgetlab validate` and every run)."""
    from forgetlab.observers import observers

    if scenario == "generative" and mode == "classifier":
        raise SpecError("model.name: a generative stream needs a causal LM, not a classifier")
    for strategy in build_strategies(spec.strategy):
        strategy.check(mode, scenario, spec.method.kind)
    for name in observers.in_order():
        observers.get(name).check(spec, mode)
    for transform in build_transforms(spec.transform):  # e.g. prompts: causal LMs only
        check_mode = getattr(transform, "check_mode", None)
        if check_mode is not None:
            check_mode(mode)


def validate(spec: ExperimentSpec) -> ValidationReport:
    """Resolve every name and build the stream; raises ForgetlabError on the first problem."""
    mode, source = describe(spec.model)
    build_method(spec.method).check_environment()  # e.g. QLoRA on a machine without CUDA
    stream = build_experiment_stream(spec)
    backbone, tokenizer = skeleton(spec.model) or (None, None)
    if backbone is not None:
        check_fit(backbone, tokenizer, spec)
        build_method(spec.method).check(backbone, mode)
    if backbone is not None and spec.probe is not None:
        from forgetlab.probing.features import resolve_layers

        resolve_layers(spec.probe.layers, backbone)  # indices against the model's layer count
    check_parts(spec, mode, stream.scenario)
    examples = [
        (
            t.name,
            format_example(stream, mode, t.train[0].text, t.train[0].label, i, t.train[0].target),
        )
        for i, t in enumerate(stream.tasks)
    ]
    return ValidationReport(stream, mode, source, examples)
