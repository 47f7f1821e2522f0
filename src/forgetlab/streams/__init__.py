"""Streams of tasks: sources (bundled WordNet, local files, Hugging Face datasets) and builders.

Every stream kind is one module here, registered by name in `stream_kinds` with its spec class.
"""

from __future__ import annotations

from forgetlab.streams.registry import stream_kinds
from forgetlab.streams.task import Example, Stream, Task

# Built-in stream kinds: one import line each registers them (order does not matter).
from forgetlab.streams import wordnet_stream as _wordnet_stream  # noqa: E402,F401  isort: skip
from forgetlab.streams import files_stream as _files_stream  # noqa: E402,F401  isort: skip
from forgetlab.streams import hf_stream as _hf_stream  # noqa: E402,F401  isort: skip
from forgetlab.streams.facts import stream as _facts_stream  # noqa: E402,F401  isort: skip
from forgetlab.streams import chat_stream as _chat_stream  # noqa: E402,F401  isort: skip
from forgetlab.streams import wordnet_instruct as _wordnet_instruct  # noqa: E402,F401  isort: skip
from forgetlab.streams.facts import updates as _facts_updates  # noqa: E402,F401  isort: skip

__all__ = [
    "Example",
    "Stream",
    "Task",
    "stream_kinds",
    "build_stream",
    "build_experiment_stream",
    "is_generative",
]


def is_generative(stream_spec) -> bool:
    """Whether a stream spec's kind builds a generative stream (free-text targets), without
    building it (spec checks)."""
    return bool(getattr(stream_kinds.get(stream_spec.kind), "generative", False))


def build_stream(spec) -> Stream:
    """Build the Stream described by a stream spec (any registered kind)."""
    return stream_kinds.get(spec.kind).build(spec)


def build_experiment_stream(spec) -> Stream:
    """The stream of an experiment spec: its `stream`, then its `transform`s in order."""
    from forgetlab.streams.transforms import apply_transforms

    return apply_transforms(build_stream(spec.stream), spec.transform, spec.seed)
