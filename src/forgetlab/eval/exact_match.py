"""Exact-match generation accuracy of a text-to-text learner, per task.

    scores = exact_match(learner, stream, batch_size=32)
    [s.accuracy for s in scores]            # one per task; s.groups per test-example group

For every test example the causal LM greedily generates after the prompt (the same prompt
tokens the log-likelihood ranking uses), at most as many tokens as the longest label plus
its EOS, stopping at EOS. The generated text, special tokens removed and whitespace
normalised, must equal the label's verbalization (`Stream.verbalize`), likewise normalised.
Unlike the ranking, this needs no candidates: the model must produce the answer itself.
"""

from __future__ import annotations

from forgetlab.errors import ForgetlabError
from forgetlab.eval.evaluate import TaskScore
from forgetlab.streams.task import Stream


def normalize(text: str) -> str:
    """Collapse runs of whitespace to one space and strip the ends."""
    return " ".join(text.split())


def generate_answers(learner, prompts: list[list[int]], task: int, batch_size: int) -> list[str]:
    """Greedy continuations of the prompt token ids (at most the longest label's tokens),
    decoded without special tokens: `generation.generate_texts` without sampling."""
    from forgetlab.eval.generation import generate_texts

    return generate_texts(
        learner, prompts, task, max_new_tokens=learner.max_label, batch_size=batch_size
    )


def exact_match(
    learner, stream: Stream, batch_size: int = 32, tasks: list[int] | None = None
) -> list[TaskScore]:
    """Exact-match accuracy on the test split of each task (all, or `tasks`)."""
    if learner.mode != "text_to_text":
        raise ForgetlabError(
            f"exact-match generation needs a text-to-text (causal LM) learner, not {learner.mode}"
        )
    was_training = learner.training
    learner.eval()
    scores = []
    for j in range(len(stream.tasks)) if tasks is None else tasks:
        test = stream.tasks[j].test
        prompts = []
        # the context strategies put before prompts (retrieved examples), when there is one
        with_context = getattr(learner, "prompt_context", None) is not None
        contexts = learner.contexts(list(test)) if with_context else None
        for i, ex in enumerate(test):
            enc = learner.encode(ex, contexts[i]) if with_context else learner.encode(ex)
            prompts.append(list(enc.ids[: enc.target_start]))
        answers = generate_answers(learner, prompts, j, batch_size)
        counts: dict[str, list[int]] = {}
        correct = 0
        for ex, answer in zip(test, answers):
            hit = int(normalize(answer) == normalize(stream.verbalize(ex.label)))
            correct += hit
            if ex.group:
                c = counts.setdefault(ex.group, [0, 0])
                c[0] += hit
                c[1] += 1
        groups = {g: (c[0], c[1]) for g, c in sorted(counts.items())}
        scores.append(TaskScore(j, correct, len(test), groups))
    learner.train(was_training)
    return scores
