"""Feature tables from whatever model is at hand: a transformers causal LM or sequence
classifier, or a forgetlab learner (text-to-text or classifier) in the middle of a run.

    table = feature_table(model, tokenizer, items, seed=0)

`items` are texts for causal LMs; for classifiers, (text, label) pairs or stream Examples.
A TextToTextLearner scores an Example as it trained on it (the prompt, then the label
words: the causal features) and also as it predicts (the label's log-likelihood against the
other labels of its task: the classifier features, prefixed `label_`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from forgetlab.errors import DataError
from forgetlab.inference.perturb import DEFAULT_PERTURBATIONS


def mode_of(model) -> str:
    """'classifier' for forgetlab classifier learners and transformers sequence classifiers,
    else 'causal'."""
    from forgetlab.models.classifier import ClassifierLearner

    if isinstance(model, ClassifierLearner):
        return "classifier"
    return "classifier" if type(model).__name__.endswith("ForSequenceClassification") else "causal"


def _text_label(item) -> tuple[str, object]:
    from forgetlab.streams.task import Example

    if isinstance(item, Example):
        return item.text, item
    if isinstance(item, (tuple, list)) and len(item) == 2:
        return str(item[0]), item[1]
    raise DataError(f"a classifier needs (text, label) pairs or Examples, got {item!r:.60}")


def _learner_render(learner, items: Sequence):
    """render(i, text) of a text-to-text learner: an Example's text (or its variant) between
    the stream's prompt and the label words, as it trained on it; plain strings unchanged."""
    from forgetlab.streams.task import Example

    stream = learner.stream

    def render(i: int, text: str) -> str:
        x = items[i]
        if not isinstance(x, Example):
            return text
        return stream.format_prompt(text) + " " + stream.verbalize(x.label)

    return render


def learner_logits_fn(learner, batch_size: int):
    """logits_fn of a learner: its scores for the classes of each Example's own task (a
    classifier's logits; a text-to-text learner's label log-likelihoods)."""
    import torch

    def logits_fn(texts: Sequence[str], examples: Sequence) -> tuple[np.ndarray, np.ndarray]:
        from dataclasses import replace

        from forgetlab.streams.task import Example

        if not all(isinstance(e, Example) for e in examples):
            raise DataError("a forgetlab classifier learner needs stream Examples as items")
        was_training = learner.training
        learner.eval()
        width = max(len(learner.stream.tasks[e.task].classes) for e in examples)
        logits = np.full((len(texts), width), -np.inf)
        target = np.zeros(len(texts), dtype=int)
        try:
            with torch.inference_mode():
                for start in range(0, len(texts), batch_size):
                    idx = range(start, min(start + batch_size, len(texts)))
                    for task in sorted({examples[i].task for i in idx}):
                        rows = [i for i in idx if examples[i].task == task]
                        classes = learner.stream.tasks[task].classes
                        enc = [learner.encode(replace(examples[i], text=texts[i])) for i in rows]
                        batch = learner.collate(enc).to(learner.device)
                        scores = learner.scores(batch, classes).float().cpu().numpy()
                        logits[rows, : len(classes)] = scores
                        target[rows] = [classes.index(examples[i].label) for i in rows]
        finally:
            learner.train(was_training)
        return logits, target

    return logits_fn


def hf_logits_fn(model, tokenizer, batch_size: int, max_length: int):
    """logits_fn of a transformers sequence classifier; labels are ids or names."""
    import torch

    label2id = {str(k): int(v) for k, v in (model.config.label2id or {}).items()}

    def label_id(label) -> int:
        if isinstance(label, (int, np.integer)) and 0 <= label < model.config.num_labels:
            return int(label)
        if str(label) in label2id:
            return label2id[str(label)]
        raise DataError(f"label {label!r} is not one of the model's labels {sorted(label2id)}")

    def logits_fn(texts: Sequence[str], labels: Sequence) -> tuple[np.ndarray, np.ndarray]:
        device, was_training = next(model.parameters()).device, model.training
        model.eval()
        out = []
        try:
            with torch.inference_mode():
                for start in range(0, len(texts), batch_size):
                    enc = tokenizer(
                        list(texts[start : start + batch_size]),
                        padding=True,
                        truncation=True,
                        max_length=max_length,
                        return_tensors="pt",
                    ).to(device)
                    out.append(model(**enc).logits.float().cpu().numpy())
        finally:
            model.train(was_training)
        return np.concatenate(out), np.array([label_id(x) for x in labels])

    return logits_fn


def feature_table(
    model,
    tokenizer,
    items: Sequence,
    *,
    seed: int = 0,
    perturbations: Sequence[str] = DEFAULT_PERTURBATIONS,
    reference: tuple | None = None,
    batch_size: int = 16,
    max_length: int = 128,
):
    """One row of membership features per item (pandas DataFrame)."""
    from forgetlab.inference.causal import causal_features
    from forgetlab.inference.encoder import classifier_features
    from forgetlab.models.learner import Learner

    if not items:
        raise DataError("no examples to score")
    if mode_of(model) == "classifier":
        if reference is not None:
            raise DataError("a reference model works with causal LMs only")
        pairs = [_text_label(x) for x in items]
        texts, labels = [t for t, _ in pairs], [y for _, y in pairs]
        if isinstance(model, Learner):
            fn = learner_logits_fn(model, batch_size)
        else:
            fn = hf_logits_fn(model, tokenizer, batch_size, max_length)
        return classifier_features(fn, texts, labels, seed=seed, perturbations=perturbations)
    from forgetlab.streams.task import Example

    texts = [x.text if isinstance(x, Example) else str(x) for x in items]
    if not isinstance(model, Learner):
        return causal_features(
            model,
            tokenizer,
            texts,
            seed=seed,
            perturbations=perturbations,
            reference=reference,
            batch_size=batch_size,
            max_length=max_length,
        )
    learner = model
    table = causal_features(
        learner.backbone,
        learner.tokenizer,
        texts,
        seed=seed,
        perturbations=perturbations,
        reference=reference,
        render=_learner_render(learner, items),
        batch_size=batch_size,
        max_length=max_length,
    )
    if all(isinstance(x, Example) for x in items):  # and how it ranks the label among its task's
        fn = learner_logits_fn(learner, batch_size)
        label = classifier_features(fn, texts, list(items), seed=seed, perturbations=perturbations)
        table = table.join(label.add_prefix("label_"))
    return table
