"""The experiment as one I/O-free loop: train a learner through a stream, stage by stage,
with observers measuring before the first stage and after every stage.

    for result in train_stream(learner, stream, strategies, spec.train, seed=spec.seed,
                               observers=build_observers(spec, env)):
        result.stage, result.stats, result.records    # stage -1: the untrained model

It knows nothing of files, progress bars or reports: the caller persists what each result
holds (a run directory, a resume state) or just keeps it (tests, benchmarks). Every stage's
randomness derives from (seed, stage) here (`forgetlab.seeding`), so a loop started at
stage k (`start=k`, after restoring weights and strategy state) continues exactly as the
uninterrupted one would have.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from functools import partial

import torch

from forgetlab.observers.base import Observer, StageView
from forgetlab.seeding import stage_seed
from forgetlab.strategies.base import Strategy, TaskContext
from forgetlab.train.batching import make_batches
from forgetlab.train.distributed import Dist
from forgetlab.train.encode import EncodeCache
from forgetlab.train.loop import SINGLE, StageStats, train_stage


@dataclass(frozen=True)
class StageResult:
    """What one observation point gave: stage -1 (before training) or a trained stage."""

    stage: int
    stats: StageStats | None  # None at stage -1
    records: dict[str, dict]  # observer name -> its record (observers returning None omitted)
    observer_s: dict[str, float] = field(default_factory=dict)  # seconds per observer
    touched: frozenset[str] = frozenset()  # parameters trained in any stage so far


def stage_context(
    learner, stream, train, stage: int, seed: int, encode, device: torch.device
) -> TaskContext:
    """The context of training stage `stage`: the spec's batching and the stage's shuffling
    generator, seeded by (seed, stage)."""
    batcher = partial(
        make_batches,
        batch_size=train.batch_size,
        group_by_length=train.group_by_length,
        shuffle=not train.online,
    )
    return TaskContext(
        stage=stage,
        stream=stream,
        learner=learner,
        train=train,
        device=device,
        rng=random.Random(stage_seed(seed, stage)),
        encode=encode,
        make_batches=batcher,
        seed=seed,
    )


def install_router(learner, strategies: list[Strategy]) -> None:
    """Give the learner the strategies' `route` hooks (e.g. per-task adapters), composed."""
    routing = [s for s in strategies if type(s).route is not Strategy.route]
    if not routing:
        learner.router = None
        return

    def router(lrn, task_ids):
        contexts = [c for c in (s.route(lrn, task_ids) for s in routing) if c is not None]
        if not contexts:
            return None
        if len(contexts) == 1:
            return contexts[0]
        stack = ExitStack()
        for c in contexts:
            stack.enter_context(c)
        return stack

    learner.router = router


def enable_gradient_checkpointing(learner) -> None:
    """Recompute the backbone's activations in the backward (transformers models)."""
    from forgetlab.errors import SpecError

    enable = getattr(learner.backbone, "gradient_checkpointing_enable", None)
    if enable is None:
        raise SpecError(
            f"train.gradient_checkpointing: {type(learner.backbone).__name__} does not support it"
        )
    enable(gradient_checkpointing_kwargs={"use_reentrant": False})


def _overrides(strategies: list[Strategy], hook: str) -> list[Strategy]:
    return [s for s in strategies if getattr(type(s), hook) is not getattr(Strategy, hook)]


def install_prediction_hooks(learner, strategies: list[Strategy]) -> None:
    """Give the learner the strategies' `readout` hooks (applied in order to the scores a
    prediction takes its argmax from, e.g. a kNN memory) and `prompt_context` hooks (their
    texts joined in order before each prompt, e.g. retrieved examples)."""
    reading = _overrides(strategies, "readout")
    contexts = _overrides(strategies, "prompt_context")

    def readout(lrn, batch, candidates, scores, features):
        for s in reading:
            new = s.readout(lrn, batch, candidates, scores, features)
            scores = scores if new is None else new
        return scores

    def prompt_context(examples):
        texts = [""] * len(examples)
        for s in contexts:
            more = s.prompt_context(learner, examples)
            if more is not None:
                texts = [a + b for a, b in zip(texts, more)]
        return texts

    learner.readout = readout if reading else None
    learner.prompt_context = prompt_context if contexts else None


def _observe(
    observers: list[Observer], hook: str, view: StageView
) -> tuple[dict[str, dict], dict[str, float]]:
    """Call `hook` of every observer in order; each sees the records of those before it."""
    records: dict[str, dict] = {}
    seconds: dict[str, float] = {}
    listeners = tuple(o.on_hidden for o in observers if o.wants_hidden(view.stage))
    predicted = tuple(
        o.on_predicted for o in observers if type(o).on_predicted is not Observer.on_predicted
    )
    for obs in observers:
        t0 = time.perf_counter()
        rec = getattr(obs, hook)(
            replace(
                view,
                earlier=dict(records),
                hidden_listeners=listeners,
                prediction_listeners=predicted,
            )
        )
        seconds[obs.name] = time.perf_counter() - t0
        if rec is not None:
            records[obs.name] = rec
    return records, seconds


def train_stream(
    learner,
    stream,
    strategies: list[Strategy],
    train,
    *,
    seed: int,
    observers: list[Observer] = (),
    device: torch.device | None = None,
    encode: EncodeCache | None = None,
    start: int = 0,
    touched: frozenset[str] = frozenset(),
    progress=None,
    dist: Dist = SINGLE,
) -> Iterator[StageResult]:
    """Yield stage -1 (when `start` is 0) and then every stage from `start` on, each after
    its training and its observers. `touched`: parameters trained before `start`."""
    device = device if device is not None else learner.device
    encode = encode if encode is not None else EncodeCache(learner)
    install_router(learner, strategies)
    if train.gradient_checkpointing:
        enable_gradient_checkpointing(learner)
    install_prediction_hooks(learner, strategies)

    def view(stage: int, stats: StageStats | None) -> StageView:
        return StageView(
            stage=stage,
            learner=learner,
            stream=stream,
            device=device,
            seed=seed,
            encode=encode,
            stats=stats,
            progress=progress,
            touched=touched,
        )

    if start == 0:
        records, seconds = _observe(list(observers), "before_stream", view(-1, None))
        yield StageResult(-1, None, records, seconds, touched)
    for stage in range(start, len(stream.tasks)):
        for obs in observers:
            obs.before_stage(view(stage, None))
        torch.manual_seed(stage_seed(seed, stage))  # dropout and other torch draws
        ctx = stage_context(learner, stream, train, stage, seed, encode, device)

        def on_log(step: int, values: dict, stage: int = stage) -> None:
            for obs in observers:
                obs.on_train_log(stage, step, values)

        stats = train_stage(ctx, strategies, progress, on_log, dist)
        touched = touched | stats.trained
        records, seconds = _observe(list(observers), "after_stage", view(stage, stats))
        yield StageResult(stage, stats, records, seconds, touched)
