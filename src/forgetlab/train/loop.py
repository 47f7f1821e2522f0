"""One training stage: one task, with the strategies' hooks around it.

    begin_task -> trainable parameters -> for each epoch: batches (through the strategies)
    -> forward -> loss + penalties -> backward -> adjusted gradients -> clip -> AdamW step
    -> lr schedule -> end_task

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
from collections.abc import Callable
from dataclasses import dataclass, replace

import torch
from transformers import get_linear_schedule_with_warmup

from forgetlab.errors import ForgetlabError
from forgetlab.seeding import derived_rng
from forgetlab.strategies.base import Strategy, TaskContext
from forgetlab.streams.transforms.base import STEP_BUDGET
from forgetlab.train.distributed import Dist
from forgetlab.train.precision import Precision


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
SINGLE = Dist()  # one process


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


def _split(items: list, parts: int) -> list[list]:
    """`items` in `parts` consecutive micro-batches (fewer when there are fewer items)."""
    parts = max(1, min(parts, len(items)))
    size = -(-len(items) // parts)
    return [items[i : i + size] for i in range(0, len(items), size)]


def _loss_size(learner, items: list) -> int:
    """What a micro-batch's mean loss averages over: its label tokens (text-to-text) or its
    examples (classifiers); micro-batch losses are weighted by it, so that accumulating
    them equals the loss of the whole batch."""
    if learner.mode == "text_to_text":
        return sum(len(e.ids) - e.target_start for e in items)
    return len(items)


def train_stage(
    ctx: TaskContext,
    strategies: list[Strategy],
    progress=None,
    on_log: Callable[[int, dict], None] | None = None,
    dist: Dist = SINGLE,
    max_steps: int | None = None,
) -> StageStats:
    """Train `ctx.learner` on task `ctx.stage` (in place) and return what it cost.

    `ctx.rng` shuffles the task's data; strategy i hooks see a context whose `rng` is its
    own, derived from (seed, stage, i). `on_log(step, values)` gets the mean loss, the lr and
    tokens/s every `train.log_every` optimizer steps. With `dist` (several processes), each
    computes its share of every batch and the gradients are summed before the step.
    `max_steps` (default `train.max_steps`): stop after that many optimizer steps (the lr
    schedule spans them), e.g. a few steps of relearning (`recovery`)."""
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
    if budget is not None and max_steps is None and spec.max_steps is None and first:
        # a transform with budget = "steps": as many steps as `epochs` passes over the task
        # before it changed (fewer passes over a bigger split, more over a smaller one)
        max_steps = epochs * math.ceil(budget / spec.batch_size)
        epochs = math.ceil(max_steps / len(first))
        total_steps = len(first) * epochs
    max_steps = max_steps if max_steps is not None else spec.max_steps
    if max_steps is not None:
        total_steps = min(total_steps, max_steps)
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
    amp = Precision(spec.precision, ctx.device)
    table = ctx.stream.candidate_table(ctx.stage).to(ctx.device)  # (T, C), built once a stage
    bar_id = bar.add_task(f"train {ctx.task.name[:40]}", total=total_steps, info="")
    # Host synchronisation (reading the loss) every `every` steps: each step on the CPU, where
    # it costs nothing; on an accelerator only now and then, so the device never waits.
    every = 1 if ctx.device.type == "cpu" else SYNC_EVERY
    log_every = spec.log_every or 0
    steps = examples = tokens = padded = 0
    loss_sum = torch.zeros((), dtype=torch.float64, device=ctx.device)
    window = {"loss": torch.zeros((), dtype=torch.float64, device=ctx.device), "t": t0, "tok": 0}
    last = float("nan")
    loss = loss_sum

    def micro_step(items, weight: float | None) -> torch.Tensor:
        batch = learner.collate(items)
        batch = batch.to(ctx.device)
        mask = table[batch.task_ids]
        for s, c in pairs:
            mask = timer.call(s, "train_mask", c, mask)
        with amp.autocast():
            out = learner(batch, mask)
            loss = out.loss
            for s, c in pairs:
                extra = timer.call(s, "penalty", c, batch, out)
                if extra is not None:
                    loss = loss + extra
        if weight is None:
            amp.backward(loss)
            return loss.detach()
        amp.backward(loss * weight)
        return loss.detach() * weight  # the micro-batch's share of the step's mean loss

    for epoch in range(epochs):
        if steps >= total_steps:
            break
        for items in first if epoch == 0 else epoch_batches():
            micros = _split(items, spec.grad_accum * dist.world)
            if len(micros) == 1 and not dist.active:
                loss = micro_step(micros[0], None)
            else:
                sizes = [_loss_size(learner, m) for m in micros]
                mine = dist.my_share(list(zip(micros, sizes)))
                loss = torch.zeros((), device=ctx.device)
                for m, n in mine:
                    loss = loss + micro_step(m, n / sum(sizes))
                dist.sum_gradients(params)
                loss = dist.sum(loss)
            amp.unscale(opt)
            for s, c in pairs:  # e.g. A-GEM's projection; the loop, not the hook, writes .grad
                grads = timer.call(s, "adjust_gradients", c, selected)
                for name, g in (grads or {}).items():
                    selected[name].grad = g
            if spec.max_grad_norm > 0:
                torch.nn.utils.clip_grad_norm_(params, spec.max_grad_norm)
            amp.step(opt)
            sched.step()
            opt.zero_grad(set_to_none=True)
            loss_sum += loss.double()
            steps += 1
            n_tokens = sum(len(e.ids) for e in items)
            examples += len(items)
            tokens += n_tokens
            padded += sum(len(m) * max(len(e.ids) for e in m) for m in micros)
            if steps % every == 0:
                last = float(loss)
                _check_finite(last, ctx.stage, steps)
                bar.update(bar_id, advance=every, info=f"loss {last:.3f}")
            window["loss"] += loss.double()
            window["tok"] += n_tokens
            if log_every and steps % log_every == 0 and on_log is not None:
                now = time.perf_counter()
                on_log(
                    steps,
                    {
                        "loss": float(window["loss"]) / log_every,
                        "lr": sched.get_last_lr()[0],
                        "tokens_per_s": window["tok"] / max(now - window["t"], 1e-9),
                    },
                )
                window.update(loss=torch.zeros_like(window["loss"]), t=now, tok=0)
            if steps >= total_steps:
                break
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
