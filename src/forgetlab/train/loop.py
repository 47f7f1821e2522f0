"""One training stage: one task, with the strategies' hooks around it.

    begin_task -> trainable parameters -> for each epoch: batches (through the strategies)
    -> forward -> loss + penalties -> backward -> clip -> AdamW step -> lr schedule -> end_task

A fresh AdamW per stage (no momentum carried across tasks), linear warmup then linear decay
to zero over the stage's steps. The parameters it trains are the learner's candidates for
the stage narrowed (or widened) by each strategy's `trainable` hook; the loop, not the
hooks, sets requires_grad. The stage's shuffling comes from the context's shuffle generator
(seeded by (seed, stage)); each strategy gets its own generator, so a stage is reproducible
on its own and independent of which strategies draw random numbers.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import torch
from transformers import get_linear_schedule_with_warmup

from forgetlab.errors import ForgetlabError
from forgetlab.seeding import derived_rng
from forgetlab.strategies.base import Strategy, TaskContext
from forgetlab.streams.transforms.base import STEP_BUDGET


class NonFiniteLossError(ForgetlabError):
    """The loss became NaN or infinite; the run stops and keeps the last finished stage."""


@dataclass(frozen=True)
class StageStats:
    strategy_s: dict[str, float]  # seconds spent in each strategy's hooks
    steps: int
    examples: int
    tokens: int  # real (unpadded) tokens processed
    padded_tokens: int  # tokens including padding
    seconds: float
    mean_loss: float
    last_loss: float
    trained: frozenset[str] = frozenset()  # names of the parameters the optimizer updated
    hook_s: dict[str, dict[str, float]] | None = None  # per strategy: seconds per hook


SYNC_EVERY = 25  # steps between reads of the loss on an accelerator


def _check_finite(loss: float, stage: int, step: int) -> None:
    if not math.isfinite(loss):
        raise NonFiniteLossError(
            f"loss became {loss} at stage {stage} (by step {step}); "
            "lower train.lr or check the data"
        )


def _check_weights(params: dict[str, torch.nn.Parameter], stage: int) -> None:
    """A non-finite update (e.g. an lr that overflows the optimizer) fails like a NaN loss."""
    for name, p in params.items():
        if not bool(torch.isfinite(p).all()):
            raise NonFiniteLossError(
                f"weight {name} became non-finite in stage {stage}; lower train.lr"
            )


class HookTimer:
    """Seconds spent in each hook of each strategy (the strategy's cost, in results)."""

    def __init__(self, strategies: list[Strategy]) -> None:
        self.seconds: dict[str, dict[str, float]] = {s.spec.kind: {} for s in strategies}

    def call(self, strategy: Strategy, hook: str, *args):
        t0 = time.perf_counter()
        try:
            return getattr(strategy, hook)(*args)
        finally:
            per_hook = self.seconds[strategy.spec.kind]
            per_hook[hook] = per_hook.get(hook, 0.0) + time.perf_counter() - t0

    def totals(self) -> dict[str, float]:
        return {kind: sum(hooks.values()) for kind, hooks in self.seconds.items()}


class _Silent:
    def add_task(self, *a, **k) -> int:
        return 0

    def update(self, *a, **k) -> None:
        pass

    def remove_task(self, *a, **k) -> None:
        pass


def train_stage(
    ctx: TaskContext, strategies: list[Strategy], progress=None, max_steps: int | None = None
) -> StageStats:
    """Train `ctx.learner` on task `ctx.stage` (in place) and return what it cost.

    `ctx.rng` shuffles the task's data; strategy i hooks see a context whose `rng` is its
    own, derived from (seed, stage, i). `max_steps`: stop after that many optimizer steps
    (the lr schedule spans them), e.g. a few steps of relearning (`recovery`)."""
    spec, learner = ctx.train, ctx.learner
    bar = progress if progress is not None else _Silent()
    t0 = time.perf_counter()
    timer = HookTimer(strategies)
    pairs = [
        (s, replace(ctx, rng=derived_rng(ctx.seed, "strategy", ctx.stage, i)))
        for i, s in enumerate(strategies)
    ]
    learner.train()
    for s, c in pairs:
        timer.call(s, "begin_task", c)

    def epoch_batches() -> list:
        batches = ctx.batches(list(ctx.task.train))
        for s, c in pairs:
            batches = timer.call(s, "train_batches", c, batches)
        return batches

    epochs = 1 if spec.online else spec.epochs  # online: a single pass in data order
    first = epoch_batches()
    total_steps = len(first) * epochs
    budget = ctx.stream.info.get(STEP_BUDGET, {}).get(ctx.task.name)
    if budget is not None and max_steps is None and first:
        # a transform with budget = "steps": as many steps as `epochs` passes over the task
        # before it changed (fewer passes over a bigger split, more over a smaller one)
        max_steps = epochs * math.ceil(budget / spec.batch_size)
        epochs = math.ceil(max_steps / len(first))
    if max_steps is not None:
        total_steps = min(len(first) * epochs, max_steps)
    selected = learner.stage_parameters(ctx.stage)
    lr = spec.lr
    for s, c in pairs:
        selected = timer.call(s, "trainable", c, selected)
        lr = timer.call(s, "learning_rate", c, lr)
    learner.set_trainable(selected)
    params = list(selected.values())
    trained_ids = {id(p) for p in params}
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=spec.weight_decay)
    sched = get_linear_schedule_with_warmup(
        opt, math.ceil(spec.warmup_ratio * total_steps), max(total_steps, 1)
    )
    bar_id = bar.add_task(f"train {ctx.task.name[:40]}", total=total_steps, info="")
    # Host synchronisation (reading the loss) every `every` steps: each step on the CPU, where
    # it costs nothing; on an accelerator only now and then, so the device never waits.
    every = 1 if ctx.device.type == "cpu" else SYNC_EVERY
    steps = examples = tokens = padded = 0
    loss_sum = torch.zeros((), dtype=torch.float64, device=ctx.device)
    last = float("nan")
    for epoch in range(epochs):
        if max_steps is not None and steps >= max_steps:
            break
        for items in first if epoch == 0 else epoch_batches():
            if max_steps is not None and steps >= max_steps:
                break
            batch = learner.collate(items).to(ctx.device)
            mask = ctx.stream.candidate_mask(ctx.stage, batch.task_ids)
            for s, c in pairs:
                mask = timer.call(s, "train_mask", c, mask)
            out = learner(batch, mask)
            loss = out.loss
            for s, c in pairs:
                extra = timer.call(s, "penalty", c, batch, out)
                if extra is not None:
                    loss = loss + extra
            loss.backward()
            if spec.max_grad_norm > 0:
                torch.nn.utils.clip_grad_norm_(params, spec.max_grad_norm)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            loss_sum += loss.detach().double()
            steps += 1
            examples += len(batch)
            tokens += batch.num_tokens
            padded += batch.input_ids.numel()
            if steps % every == 0:
                last = float(loss)
                _check_finite(last, ctx.stage, steps)
                bar.update(bar_id, advance=every, info=f"loss {last:.3f}")
    if steps % every:
        last = float(loss)
        bar.update(bar_id, advance=steps % every, info=f"loss {last:.3f}")
    _check_finite(float(loss_sum), ctx.stage, steps)
    _check_weights(selected, ctx.stage)
    bar.remove_task(bar_id)
    for s, c in pairs:
        timer.call(s, "end_task", c)
    return StageStats(
        strategy_s=timer.totals(),
        steps=steps,
        examples=examples,
        tokens=tokens,
        padded_tokens=padded,
        seconds=time.perf_counter() - t0,
        mean_loss=float(loss_sum) / max(steps, 1),
        last_loss=last,
        trained=frozenset(n for n, p in learner.named_parameters() if id(p) in trained_ids),
        hook_s=timer.seconds,
    )
