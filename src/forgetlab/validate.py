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
    # text-to-text learners with a tokenizer at hand: (task name, {label: tokens it takes})
    label_tokens: list[tuple[str, dict[str, int]]] = ()
    # a hub model whose config is neither cached nor reachable: what the run will need
    model_note: str | None = None


def label_token_table(stream: Stream, tokenizer) -> list[tuple[str, dict[str, int]]]:
    """(task name, {label as written: its token count}) per task of a text-to-text stream."""
    from forgetlab.models.label_score import label_token_counts

    out = []
    for task in stream.tasks:
        words = [stream.verbalize(c) for c in task.classes]
        out.append((task.name, dict(zip(words, label_token_counts(tokenizer, words)))))
    return out


def label_token_lines(table: list[tuple[str, dict[str, int]]]) -> list[str]:
    """One line per task: its labels' token counts, labels of more than one token flagged."""
    lines = []
    for task, counts in table:
        long = {w: n for w, n in counts.items() if n > 1}
        if not long:
            lines.append(f"labels of {task}: 1 token each")
            continue
        shown = ", ".join(f"{w!r} {n} tokens" for w, n in long.items())
        lines.append(
            f"labels of {task}: {len(long)} of {len(counts)} take more than one token ({shown})"
        )
    return lines


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
    from forgetlab.models.tokenizer_check import check_tokenizer, sample_texts

    found = skeleton(spec.model)
    backbone, tokenizer = found or (None, None)
    note = None
    if found is None:
        from forgetlab.models.load_errors import OFFLINE_HELP

        note = (
            f"model {spec.model.name!r}: its config is neither in the Hugging Face cache nor "
            f"reachable here, so the model was not checked; {OFFLINE_HELP}"
        )
    check_tokenizer(spec.model, backbone, tokenizer, sample_texts(stream))
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
    tokens = []
    if mode == "text_to_text" and tokenizer is not None and not stream.generative:
        tokens = label_token_table(stream, tokenizer)
    return ValidationReport(stream, mode, source, examples, tokens, note)
