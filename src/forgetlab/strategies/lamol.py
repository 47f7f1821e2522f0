"""`lamol`: generative replay for causal LMs (LAMOL, Sun et al., ICLR 2020).

The model learns two things on every batch: to answer (the label after the prompt, the
learner's own loss) and, with weight `gen_weight`, to *generate* the whole example after a
task marker ("[t0] {prompt with text} {label}"). Before each new task it writes
pseudo-examples of every earlier task by sampling after that task's marker; the ones that
end in a valid label of that task are mixed into the new task's training data
(`ratio` x the task's size, shared among the old tasks).
"""

from __future__ import annotations

import itertools
from typing import Literal

import torch
from pydantic import Field, NonNegativeFloat, PositiveInt

from forgetlab.errors import ForgetlabError
from forgetlab.models.batch import pad
from forgetlab.spec.base import SpecModel
from forgetlab.strategies.base import ItemBatches, Strategy, TaskContext, strategies
from forgetlab.streams.task import Example

PSEUDO_UID = 1_000_000_000  # pseudo-example uids start here (stream uids are smaller)


class LAMOLSpec(SpecModel):
    kind: Literal["lamol"] = "lamol"
    gen_weight: NonNegativeFloat = Field(0.25, description="weight of the generation loss")
    ratio: NonNegativeFloat = Field(0.2, description="pseudo-examples per new-task example")
    top_k: PositiveInt = Field(20, description="sampling: top-k")
    max_new_tokens: PositiveInt = Field(48, description="length limit of a pseudo-example")


def marker(task: int) -> str:
    return f"[t{task}] "


@strategies.register("lamol", help="LAMOL: the LM also writes pseudo-examples of old tasks")
class LAMOL(Strategy):
    Spec = LAMOLSpec
    requires = {"mode": ("text_to_text", "it generates pseudo-examples")}

    def check(self, mode: str, scenario: str, method: str) -> None:
        super().check(mode, scenario, method)
        if scenario == "generative":
            raise ForgetlabError(
                "strategy 'lamol' replays pseudo-examples that end in a class label; a "
                "generative (chat) stream has none"
            )

    def _marker_ids(self, ctx: TaskContext, task: int) -> list[int]:
        """Token ids of task `task`'s marker, tokenized once (they are used on every step)."""
        cache = self.__dict__.setdefault("_markers", {})
        if task not in cache:
            tok = ctx.learner.tokenizer
            cache[task] = tok(marker(task), add_special_tokens=False)["input_ids"]
        return cache[task]

    def penalty(self, ctx: TaskContext, batch, out) -> torch.Tensor | None:
        if self.spec.gen_weight == 0:
            return None
        rows, targets = [], []
        for enc in ctx.encode_batch(batch):
            m = self._marker_ids(ctx, enc.task)
            rows.append(m + list(enc.ids))
            targets.append([-100] * len(m) + list(enc.ids))
        learner = ctx.learner
        ids = pad(rows, learner.pad_id).to(ctx.device)
        attn = pad([[1] * len(r) for r in rows], 0).to(ctx.device)
        tgt = pad(targets, -100).to(ctx.device)
        n_tokens = (tgt[:, 1:] != -100).sum().clamp_min(1)
        with learner.routed(batch.task_ids):
            nll = -learner.token_logprobs(ids, attn, tgt).sum() / n_tokens
        return self.spec.gen_weight * nll

    @torch.no_grad()
    def generate(self, ctx: TaskContext, task: int, n: int) -> list[Example]:
        """Sample `n` texts after task `task`'s marker; keep those that parse to a label."""
        learner, tok = ctx.learner, ctx.learner.tokenizer
        prompt_tail = ctx.stream.prompt.split("{text}")[-1]  # e.g. "\nCategory:"
        labels = {ctx.stream.verbalize(c): c for c in ctx.stream.tasks[task].classes}
        start = torch.tensor([self._marker_ids(ctx, task)] * n, device=ctx.device)
        was_training = learner.training
        learner.eval()
        # generate() samples from torch's global generator: seed it from this strategy's own
        # generator inside fork_rng, so the global state is the same before and after.
        cuda = [ctx.device] if ctx.device.type == "cuda" else []
        with torch.random.fork_rng(devices=cuda):
            torch.manual_seed(ctx.rng.randrange(2**31))
            out = learner.backbone.generate(
                input_ids=start,
                attention_mask=torch.ones_like(start),
                do_sample=True,
                top_k=self.spec.top_k,
                max_new_tokens=self.spec.max_new_tokens,
                pad_token_id=learner.pad_id,
                eos_token_id=tok.eos_token_id,
            )
        learner.train(was_training)
        kept = []
        for row in out[:, start.shape[1] :].tolist():
            text = tok.decode(row, skip_special_tokens=True)
            if prompt_tail.strip() and prompt_tail in text:
                body, answer = text.rsplit(prompt_tail, 1)
                label = labels.get(answer.strip())
                if label is not None and body.strip():
                    kept.append((body.strip(), label))
        self.kept_ = getattr(self, "kept_", 0) + len(kept)
        self.samples_ = [
            *getattr(self, "samples_", []),
            *[f"[t{task}] {t} -> {ctx.stream.class_names[c]}" for t, c in kept[:3]],
        ]
        return [Example(t, c, task, next(self._uids)) for t, c in kept]

    def begin_task(self, ctx: TaskContext) -> None:
        if not hasattr(self, "_uids"):
            self._uids = itertools.count(PSEUDO_UID)
        self.pseudo_ = []
        if ctx.stage == 0 or self.spec.ratio == 0:
            return
        per_task = max(1, round(self.spec.ratio * len(ctx.task.train) / ctx.stage))
        for task in range(ctx.stage):
            self.pseudo_ += self.generate(ctx, task, per_task)
        self.generated_ = getattr(self, "generated_", 0) + per_task * ctx.stage

    def summary(self) -> dict:
        return {
            "generated": getattr(self, "generated_", 0),
            "kept": getattr(self, "kept_", 0),
            "samples": getattr(self, "samples_", [])[:9],
        }

    def train_batches(self, ctx: TaskContext, batches: ItemBatches) -> ItemBatches:
        if not self.pseudo_:
            return batches
        return ctx.batches([*ctx.task.train, *self.pseudo_])
