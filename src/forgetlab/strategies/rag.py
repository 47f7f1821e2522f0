"""`rag`: retrieved training examples written before the prompt (causal LMs).

[strategy]
kind = "rag"
k = 2                      # retrieved examples per prompt
retriever = "bm25"         # bm25 (rank-bm25, over the examples' texts) | embedding
at_train = true            # before the prompts of training examples
at_test = true             # before the prompts of test examples
template = "{prompt} {label}\n"   # one retrieved example: {prompt} (formatted), {text}, {label}
memory_size = 200          # or memory_fraction, or selection = "all"
selection = "reservoir"    # all | reservoir | class_balanced (as `er`, same sizes)
newest = true              # one stored example per text: a newer one replaces it

The memory holds training examples: before each stage the task's training examples are
offered to it (so training-time retrieval can find them; an example never retrieves itself),
with `er`'s policies and sizes. With `newest`, an example whose text is already stored replaces
it: on a facts stream whose later task revises facts, the memory then holds the newest version
of each fact, a knowledge update without fine-tuning.

Retrieval (the `prompt_context` hook, installed on the learner by the run) gives each example
the k best stored examples, by Okapi BM25 over their texts, or by cosine similarity of the
current model's embeddings of their prompts (the last hidden state averaged over the prompt
tokens; the memory is embedded again after every stage, on a faiss index); they are written
with `template`, the best one last (nearest the question; a prompt longer than
`train.max_length` loses its first, least relevant items). The example's own prompt follows.
Contexts are computed once per memory state and cached; an example is tokenized again only
when its context changes. Cost in results.json: `strategy_cost.rag.state_bytes` (stored texts
and embeddings) and `strategy_info.rag` (stored examples, retrieval seconds per stage,
training and test included).
"""

from __future__ import annotations

import string
import time
from typing import Literal

import torch
from pydantic import Field, PositiveInt, field_validator, model_validator

from forgetlab.retrieval.bm25 import BM25Index
from forgetlab.retrieval.embed import embed
from forgetlab.retrieval.index import CosineIndex
from forgetlab.retrieval.store import (
    capacity,
    check_size,
    new_memory,
    offer,
    offer_embedded,
)
from forgetlab.spec.base import SpecModel
from forgetlab.strategies.base import Strategy, TaskContext, strategies
from forgetlab.streams.task import Example, Stream

FIELDS = ("prompt", "text", "label")


class RAGSpec(SpecModel):
    kind: Literal["rag"] = "rag"
    k: PositiveInt = Field(2, description="retrieved examples per prompt")
    retriever: Literal["bm25", "embedding"] = Field(
        "bm25", description="BM25 over texts, or cosine over the current model's embeddings"
    )
    at_train: bool = Field(True, description="retrieve for training examples")
    at_test: bool = Field(True, description="retrieve for test examples")
    template: str = Field(
        "{prompt} {label}\n",
        description="how a retrieved example is written: {prompt}, {text}, {label}",
    )
    memory_size: PositiveInt | None = Field(
        None, description="examples kept in memory (default 200; or memory_fraction, or all)"
    )
    memory_fraction: float | None = Field(
        None, gt=0, le=1, description="instead: keep this share of each task's examples"
    )
    selection: Literal["all", "reservoir", "class_balanced"] = Field(
        "reservoir", description="which examples are kept (all: every one, no size)"
    )
    newest: bool = Field(True, description="one example per text: a newer one replaces it")

    @field_validator("template")
    @classmethod
    def _fields(cls, v: str) -> str:
        try:
            names = [f for _, f, _, _ in string.Formatter().parse(v) if f is not None]
        except ValueError as e:
            raise ValueError(f"not a format string: {e}") from None
        bad = [f for f in names if f not in FIELDS]
        if bad:
            raise ValueError(f"unknown field {{{bad[0]}}}; use {{prompt}}, {{text}}, {{label}}")
        return v

    @model_validator(mode="after")
    def _size(self) -> RAGSpec:
        check_size(self)
        if not (self.at_train or self.at_test):
            raise ValueError("at_train and at_test are both false: nothing would be retrieved")
        return self


def render(stream: Stream, items: list[Example], template: str) -> str:
    """The context for retrieved `items` (best first): written with `template`, best last."""
    return "".join(
        template.format(
            prompt=stream.format_prompt(it.text, it.task),
            text=it.text,
            label=stream.verbalize(it.label),
        )
        for it in reversed(items)
    )


@strategies.register("rag", help="retrieval-augmented prompts from a memory of examples")
class RAG(Strategy):
    Spec = RAGSpec
    requires = {"mode": ("text_to_text", "it writes retrieved examples into the prompt")}

    def begin_task(self, ctx: TaskContext) -> None:
        if not hasattr(self, "memory_"):
            self.memory_ = new_memory(self.spec.selection)
            self.embeddings_: torch.Tensor | None = None
            self.retrieval_s_: list[float] = []
        size = capacity(self.spec, ctx.stream, ctx.stage)
        key = (lambda e: e.text) if self.spec.newest else None
        examples = list(ctx.task.train)
        if self.spec.retriever == "embedding":  # the model has not changed since end_task
            self.embeddings_ = offer_embedded(
                self.memory_,
                self.embeddings_,
                examples,
                size,
                ctx.rng,
                lambda new: self._embed(ctx.learner, new),
                key,
            )
        else:
            offer(self.memory_, examples, size, ctx.rng, key)
        self.retrieval_s_.append(0.0)  # this stage's training and the evaluation after it
        self._forget()

    def end_task(self, ctx: TaskContext) -> None:
        if self.spec.retriever == "embedding":  # the trained model embeds the memory again
            self.embeddings_ = self._embed(ctx.learner, self.memory_.items)
        self._forget()

    def _forget(self) -> None:
        self._contexts: dict[int, str] = {}
        self._index = None

    @staticmethod
    def _embed(learner, examples: list[Example]) -> torch.Tensor:
        return embed(learner, [learner.encode(ex) for ex in examples])

    def _retrieve(self, learner, queries: list[Example]) -> list[list[Example]]:
        items, k = self.memory_.items, self.spec.k
        row_of = {it.uid: i for i, it in enumerate(items)}
        if self.spec.retriever == "bm25":
            if self._index is None:
                self._index = BM25Index([it.text for it in items])
            found = [
                self._index.search(q.text, k, frozenset([row_of[q.uid]] if q.uid in row_of else []))
                for q in queries
            ]
        else:
            if self._index is None:
                self._index = CosineIndex(self.embeddings_)
            _, rows = self._index.search(self._embed(learner, queries), k + 1)
            found = [
                [r for r in row.tolist() if r != row_of.get(q.uid)][:k]
                for q, row in zip(queries, rows)
            ]
        return [[items[r] for r in rows] for rows in found]

    def prompt_context(self, learner, examples):
        if not len(getattr(self, "memory_", ())):
            return None
        cache = getattr(self, "_contexts", None)
        if cache is None:
            self._forget()
            cache = self._contexts
        todo = [ex for ex in examples if ex.uid not in cache]
        if todo:
            t0 = time.perf_counter()
            test = self._test_uids(learner.stream)
            wanted = []
            for ex in todo:
                on = self.spec.at_test if ex.uid in test else self.spec.at_train
                if on:
                    wanted.append(ex)
                else:
                    cache[ex.uid] = ""
            for ex, found in zip(wanted, self._retrieve(learner, wanted) if wanted else []):
                cache[ex.uid] = render(learner.stream, found, self.spec.template)
            self.retrieval_s_[-1] += time.perf_counter() - t0
        return [cache[ex.uid] for ex in examples]

    def _test_uids(self, stream: Stream) -> frozenset[int]:
        if getattr(self, "_test", None) is None:
            self._test = frozenset(ex.uid for t in stream.tasks for ex in t.test)
        return self._test

    def state_bytes(self) -> int:
        """Stored texts (UTF-8) and label ids, plus the embeddings."""
        if not hasattr(self, "memory_"):
            return 0
        text = sum(len(it.text.encode()) + 8 for it in self.memory_.items)
        rows = 0 if self.embeddings_ is None else self.embeddings_.numel() * 4
        return text + rows

    def summary(self) -> dict:
        if not hasattr(self, "memory_"):
            return {}
        return {
            "stored": len(self.memory_),
            "stored_bytes": self.state_bytes(),
            "retriever": self.spec.retriever,
            "retrieval_s": list(self.retrieval_s_),
        }
