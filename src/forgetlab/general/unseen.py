"""Held-out multiple-choice tasks never trained, scored by log-likelihood.

    tasks = wordnet_choice_tasks(exclude={"noun.animal", ...}, n_tasks=2, classes_per_task=3,
                                 per_class=30, seed=0)
    correct, answer_nll = choice_correct(backbone, tokenizer, tasks[0], batch_size=32)

A WordNet choice task asks for the category of a test-pool gloss among the task's categories:
the prompt is "{lemma}: {gloss}\\nCategory:" and each choice " {category as words}" followed by
EOS; the model's answer is the choice with the highest summed log-probability (as the
text-to-text learner ranks labels). Categories are picked by seed among those outside
`exclude` (the stream's own categories), or given explicitly. Test-pool glosses never occur
in a WordNet stream's training data, so the tasks are unseen in both their labels and texts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from forgetlab.errors import DataError

PROMPT = "{text}\nCategory:"


@dataclass(frozen=True)
class ChoiceTask:
    """A multiple-choice task: its choices (as words) and (text, index of the answer) items."""

    name: str
    choices: tuple[str, ...]
    items: tuple[tuple[str, int], ...]


def verbalize(category: str) -> str:
    return category.replace(".", " ").replace("_", " ")


def wordnet_choice_tasks(
    exclude: set[str],
    n_tasks: int,
    classes_per_task: int,
    per_class: int,
    seed: int,
    categories: list[list[str]] | None = None,
) -> list[ChoiceTask]:
    """Category tasks on test-pool glosses (module docstring)."""
    from forgetlab.data.wordnet import LEXNAMES, load_wordnet
    from forgetlab.streams.wordnet_stream import in_test_pool

    pool: dict[str, list[str]] = {c: [] for c in LEXNAMES}
    for g in load_wordnet():
        if in_test_pool(g.gloss):
            pool[g.label].append(f"{g.lemma}: {g.gloss}")
    rng = random.Random(f"unseen-tasks:{seed}")
    if categories is None:
        eligible = [c for c in LEXNAMES if c not in exclude and len(pool[c]) >= per_class]
        need = n_tasks * classes_per_task
        if need > len(eligible):
            raise DataError(
                f"general.unseen_tasks: {need} WordNet categories outside the stream with "
                f"{per_class} test glosses each are needed; {len(eligible)} are left "
                "(fewer tasks, or list general.unseen_categories)"
            )
        rng.shuffle(eligible)
        categories = [
            eligible[i * classes_per_task : (i + 1) * classes_per_task] for i in range(n_tasks)
        ]
    tasks = []
    for group in categories:
        items = []
        for k, c in enumerate(group):
            if len(pool[c]) < per_class:
                raise DataError(
                    f"general.unseen_categories: {c!r} has {len(pool[c])} test glosses, "
                    f"fewer than unseen_per_class = {per_class}"
                )
            items += [(t, k) for t in rng.sample(pool[c], per_class)]
        rng.shuffle(items)
        tasks.append(ChoiceTask("+".join(group), tuple(verbalize(c) for c in group), tuple(items)))
    return tasks


def file_choice_task(name: str, path, per_class: int, seed: int) -> ChoiceTask:
    """A task from a JSONL/CSV file with `text` and `label` columns: the labels (sorted) are
    the choices; at most `per_class` items per label, picked by seed."""
    from pathlib import Path

    from forgetlab.streams.files_stream import read_records

    records = read_records(Path(path), "text", "label", "task")
    labels = sorted({r.label for r in records})
    if len(labels) < 2:
        raise DataError(f"unseen task {name!r} ({path}): needs at least 2 labels, has {labels}")
    rng = random.Random(f"unseen-file:{seed}:{name}")
    items = []
    for k, label in enumerate(labels):
        texts = [r.text for r in records if r.label == label]
        items += [(t, k) for t in rng.sample(texts, min(per_class, len(texts)))]
    rng.shuffle(items)
    return ChoiceTask(name, tuple(labels), tuple(items))


def choice_correct(
    backbone, tokenizer, task: ChoiceTask, *, batch_size: int, max_length: int = 128, device=None
) -> tuple[np.ndarray, np.ndarray]:
    """(1 if the answer ranks first else 0, NLL of the right answer) per item."""
    import torch

    device = device if device is not None else next(backbone.parameters()).device
    eos = tokenizer.eos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    choice_ids = [
        tokenizer(" " + c, add_special_tokens=False)["input_ids"]
        + ([eos] if eos is not None else [])
        for c in task.choices
    ]
    keep = max_length - max(len(c) for c in choice_ids)
    if keep < 1:
        raise DataError(f"unseen task {task.name!r}: choices longer than max_length")
    prompts = [
        tokenizer(PROMPT.format(text=t), add_special_tokens=True)["input_ids"][-keep:]
        for t, _ in task.items
    ]
    pairs = [(i, k) for i in range(len(prompts)) for k in range(len(choice_ids))]
    logp = np.zeros((len(prompts), len(choice_ids)))
    was_training = backbone.training
    backbone.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(pairs), batch_size):
                chunk = pairs[start : start + batch_size]
                rows = [prompts[i] + choice_ids[k] for i, k in chunk]
                width = max(len(r) for r in rows)
                ids = torch.full((len(rows), width), pad, dtype=torch.long)
                attn = torch.zeros((len(rows), width), dtype=torch.long)
                tgt = torch.full((len(rows), width), -100, dtype=torch.long)
                for r, ((i, k), row) in enumerate(zip(chunk, rows)):
                    ids[r, : len(row)] = torch.tensor(row)
                    attn[r, : len(row)] = 1
                    tgt[r, len(prompts[i]) : len(row)] = torch.tensor(choice_ids[k])
                ids, attn, tgt = ids.to(device), attn.to(device), tgt.to(device)
                logits = backbone(input_ids=ids, attention_mask=attn).logits[:, -width:]
                lp = torch.log_softmax(logits[:, :-1].float(), dim=-1)
                t = tgt[:, 1:]
                picked = lp.gather(-1, t.clamp_min(0).unsqueeze(-1)).squeeze(-1)
                sums = (picked * (t != -100)).sum(1).double().cpu().numpy()
                for (i, k), s in zip(chunk, sums):
                    logp[i, k] = s
    finally:
        backbone.train(was_training)
    answers = np.array([a for _, a in task.items])
    correct = (logp.argmax(1) == answers).astype(np.float64)
    return correct, -logp[np.arange(len(answers)), answers]
