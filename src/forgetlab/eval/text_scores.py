"""Scores of a generated text against its reference, registered by name.

    text_metrics.get("rouge_l")(prediction, reference)    # -> float in [0, 1]
    score_texts(predictions, references)                  # {name: [score per pair]}

- `exact_match`: 1 when the two are equal after SQuAD normalisation (lower case, punctuation
  and the articles a/an/the removed, whitespace collapsed), else 0.
- `token_f1`: the F1 of the bag of normalised tokens (SQuAD's definition): 2PR / (P + R)
  with P = overlap / predicted tokens, R = overlap / reference tokens; 1 when both are empty.
- `rouge_l`: ROUGE-L F-measure (longest common subsequence of tokens) from Google's
  `rouge-score` package (its tokenizer: lower case, alphanumeric tokens, no stemming).
"""

from __future__ import annotations

import functools
import re
import string
from collections import Counter
from collections.abc import Callable

from forgetlab.registry import Registry

text_metrics: Registry[Callable[[str, str], float]] = Registry("text metric")

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces."""
    text = _ARTICLES.sub(" ", text.lower().translate(_PUNCT))
    return " ".join(text.split())


@text_metrics.register("exact_match", help="1 if equal after SQuAD normalisation, else 0")
def exact_match(prediction: str, reference: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(reference))


@text_metrics.register("token_f1", help="F1 of the normalised tokens (SQuAD)")
def token_f1(prediction: str, reference: str) -> float:
    pred, ref = normalize_answer(prediction).split(), normalize_answer(reference).split()
    if not pred or not ref:
        return float(pred == ref)
    overlap = sum((Counter(pred) & Counter(ref)).values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(pred), overlap / len(ref)
    return 2 * precision * recall / (precision + recall)


@functools.lru_cache(maxsize=1)
def _rouge_scorer():
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)


@text_metrics.register("rouge_l", help="ROUGE-L F-measure (rouge-score package)")
def rouge_l(prediction: str, reference: str) -> float:
    return float(_rouge_scorer().score(reference, prediction)["rougeL"].fmeasure)


def score_texts(
    predictions: list[str], references: list[str], names: list[str] | None = None
) -> dict[str, list[float]]:
    """{metric: [score of each (prediction, reference) pair]} for `names` (default: all)."""
    names = names or text_metrics.in_order()
    return {n: [text_metrics.get(n)(p, r) for p, r in zip(predictions, references)] for n in names}
