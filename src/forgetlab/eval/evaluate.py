"""Accuracy of a learner on every task's test split at one stage: one row of R."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field

import torch

from forgetlab.eval.feature_cache import FrozenFeatureCache
from forgetlab.models import Batch, Learner
from forgetlab.models.hidden import capture_hidden
from forgetlab.models.learner import Encoded
from forgetlab.streams.task import Example, Stream
from forgetlab.train.batching import eval_batches


@dataclass(frozen=True)
class TaskScore:
    task: int
    correct: int
    total: int
    groups: dict[str, tuple[int, int]] = field(default_factory=dict)  # group -> (correct, total)
    # text-to-text: mean log-probability of the gold label (summed over its tokens)
    label_logprob: float | None = None

    @property
    def accuracy(self) -> float:
        return self.correct / self.total


@torch.inference_mode()
def evaluate(
    learner: Learner,
    stream: Stream,
    stage: int,
    encode: Callable[[list[Example]], list[Encoded]],
    batch_size: int,
    on_batch: Callable[[], None] | None = None,
    on_hidden: Callable[[int, Batch, tuple[torch.Tensor, ...]], None] | None = None,
    cache: FrozenFeatureCache | None = None,
    on_predicted: Callable[[int, Batch, torch.Tensor], None] | None = None,
) -> list[TaskScore]:
    """Score every task's test split after `stage` (-1 = before training). `on_hidden(task,
    batch, hidden_states)`, if given, gets the backbone's per-layer hidden states of each
    batch from the same forward (e.g. `Prober.on_hidden`: test features for free).
    `cache` (a FrozenFeatureCache) reuses pooled test features while the backbone stays frozen;
    it is bypassed when `on_hidden` needs the backbone's forward. `on_predicted(task,
    batch, predicted)` gets each batch's predicted class ids (e.g. `Prober.on_predicted`:
    per-example hits for paired tests)."""
    predictor = cache if cache is not None and on_hidden is None else learner
    with_logprob = learner.mode == "text_to_text"  # scores are log-likelihoods
    was_training = learner.training
    learner.eval()
    scores = []
    for j, task in enumerate(stream.tasks):
        candidates = stream.candidates(stage, j)
        position = {c: k for k, c in enumerate(candidates)}
        groups = {ex.uid: ex.group for ex in task.test if ex.group}
        group_counts: dict[str, list[int]] = {}
        correct = 0
        logprob = 0.0
        for items in eval_batches(encode(list(task.test)), batch_size):
            batch = learner.collate(items).to(learner.device)
            with capture_hidden(learner.backbone) if on_hidden else nullcontext([]) as hidden:
                if with_logprob:
                    # (B, K) label log-likelihoods and the scores ranking them (label_score)
                    tables = getattr(learner, "label_tables", None)
                    if tables is not None:
                        s, ranked = tables(batch, candidates)
                    else:  # a learner without label_score: its scores rank and are the lls
                        s = ranked = learner.scores(batch, candidates)
                    best = ranked.argmax(dim=1)
                    predicted = torch.tensor(candidates, device=best.device)[best]
                    gold = torch.tensor([position[int(y)] for y in batch.labels], device=s.device)
                    logprob += float(s.gather(1, gold[:, None]).sum())
                else:
                    predicted = predictor.predict(batch, candidates)
            if on_hidden is not None and hidden:
                on_hidden(j, batch, hidden[-1])
            if on_predicted is not None:
                on_predicted(j, batch, predicted)
            hits = (predicted == batch.labels).tolist()
            correct += sum(hits)
            if groups:
                for uid, hit in zip(batch.uids.tolist(), hits):
                    if uid in groups:
                        c = group_counts.setdefault(groups[uid], [0, 0])
                        c[0] += hit
                        c[1] += 1
            if on_batch is not None:
                on_batch()
        counts = {g: (c[0], c[1]) for g, c in sorted(group_counts.items())}
        mean_lp = logprob / len(task.test) if with_logprob else None
        scores.append(TaskScore(j, correct, len(task.test), counts, mean_lp))
    learner.train(was_training)
    return scores
