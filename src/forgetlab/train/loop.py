"""The training loop: one stage = one task, with strategy hooks around it.

    begin_task -> for each epoch: batches (through strategies) -> forward -> loss + penalties
               -> backward -> clip -> AdamW step -> lr schedule  -> end_task

A fresh AdamW per stage (no momentum carried across tasks), linear warmup then linear decay
to zero over the stage's steps. The stage's shuffling comes from a generator seeded by
(seed, stage), so a stage is reproducible on its own.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass

import torch
from transformers import get_linear_schedule_with_warmup

from forgetlab.errors import ForgetlabError
from forgetlab.strategies.base import Strategy, TaskContext


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


def stage_rng(seed: int, stage: int) -> random.Random:
    return random.Random(seed * 1_000_003 + stage)


class HookTimer:
    """Seconds spent in each strategy's hooks (the strategy's own cost, recorded in results)."""

    def __init__(self, strategies: list[Strategy]) -> None:
        self.seconds = {s.spec.kind: 0.0 for s in strategies}

    def call(self, strategy: Strategy, hook: str, *args):
        t0 = time.perf_counter()
        try:
            return getattr(strategy, hook)(*args)
        finally:
            self.seconds[strategy.spec.kind] += time.perf_counter() - t0


def train_stage(ctx: TaskContext, strategies: list[Strategy], bar) -> StageStats:
    """Train `ctx.learner` on task `ctx.stage` (in place) and return what it cost."""
    spec, learner = ctx.train, ctx.learner
    t0 = time.perf_counter()
    timer = HookTimer(strategies)
    learner.begin_stage(ctx.stage)
    learner.train()
    for s in strategies:
        timer.call(s, "begin_task", ctx)

    def epoch_batches() -> list:
        batches = ctx.batches(list(ctx.task.train))
        for s in strategies:
            batches = timer.call(s, "train_batches", ctx, batches)
        return batches

    epochs = 1 if spec.online else spec.epochs  # online: a single pass in data order
    first = epoch_batches()
    total_steps = len(first) * epochs
    params = learner.trainable_parameters()
    trained_ids = {id(p) for p in params}
    lr = spec.lr
    for s in strategies:
        lr = s.learning_rate(ctx, lr)
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=spec.weight_decay)
    sched = get_linear_schedule_with_warmup(
        opt, math.ceil(spec.warmup_ratio * total_steps), max(total_steps, 1)
    )
    bar_id = bar.add_task(f"train {ctx.task.name[:40]}", total=total_steps, info="")
    steps = examples = tokens = padded = 0
    loss_sum, last = 0.0, float("nan")
    for epoch in range(epochs):
        for items in first if epoch == 0 else epoch_batches():
            batch = learner.collate(items).to(ctx.device)
            mask = ctx.stream.candidate_mask(ctx.stage, batch.task_ids)
            for s in strategies:
                mask = s.train_mask(ctx, mask)
            out = learner(batch, mask)
            loss = out.loss
            for s in strategies:
                extra = timer.call(s, "penalty", ctx, batch, out)
                if extra is not None:
                    loss = loss + extra
            if not torch.isfinite(loss):
                raise NonFiniteLossError(
                    f"loss became {loss.item()} at stage {ctx.stage} step {steps}; "
                    "lower train.lr or check the data"
                )
            loss.backward()
            if spec.max_grad_norm > 0:
                torch.nn.utils.clip_grad_norm_(params, spec.max_grad_norm)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            last = loss.item()
            loss_sum += last
            steps += 1
            examples += len(batch)
            tokens += batch.num_tokens
            padded += batch.input_ids.numel()
            bar.update(bar_id, advance=1, info=f"loss {last:.3f}")
    bar.remove_task(bar_id)
    for s in strategies:
        timer.call(s, "end_task", ctx)
    return StageStats(
        strategy_s=timer.seconds,
        steps=steps,
        examples=examples,
        tokens=tokens,
        padded_tokens=padded,
        seconds=time.perf_counter() - t0,
        mean_loss=loss_sum / max(steps, 1),
        last_loss=last,
        trained=frozenset(n for n, p in learner.named_parameters() if id(p) in trained_ids),
    )
