"""`knn`: a memory of (embedding, label) pairs mixed into the model's predictions.

[strategy]
kind = "knn"
k = 8                      # neighbours per prediction
weight = 0.5               # p = (1 - weight) * p_model + weight * p_knn
temperature = 0.1          # neighbour i weighs softmax_i(cos_i / temperature) among the k
memory_size = 200          # default; or memory_fraction = 0.1, or selection = "all"
selection = "reservoir"    # all | reservoir | class_balanced (as `er`, same sizes)
embeddings = "refresh"     # re-embed every stored example after each stage, or "frozen"

After each stage the task's training examples are offered to the memory (the policies and
sizes of `er`, so the two compare at the same number of stored examples) and embedded with
the trained model: its pooled features, what its heads read. `refresh` embeds every stored
example again with the current model; `frozen` keeps each example's embedding from the stage
it was stored after.

At prediction time (the `readout` hook, installed on the learner by the run: evaluation only,
training never sees the memory) the query's pooled features find the k most cosine-similar
stored examples among those whose class competes, through an exact faiss index
(`IndexFlatIP` on normalised rows, rebuilt from the stored embeddings after each stage and on
resume, never saved); their labels, weighted by a softmax of similarity / temperature, give
p_knn over the candidates; the prediction is the argmax of log((1 - weight) p_model +
weight p_knn), p_model being the softmax of the model's logits over the candidates. Cost in
results.json: `strategy_cost.knn.state_bytes` (token ids and embeddings) and
`strategy_info.knn` (stored examples, index bytes, retrieval seconds per stage).
"""

from __future__ import annotations

import time
from typing import Literal

import torch
from pydantic import Field, PositiveFloat, PositiveInt, model_validator

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


class KNNSpec(SpecModel):
    kind: Literal["knn"] = "knn"
    k: PositiveInt = Field(8, description="neighbours per prediction")
    weight: float = Field(
        0.5, ge=0, le=1, description="share of the kNN distribution in the prediction"
    )
    temperature: PositiveFloat = Field(
        0.1, description="neighbour weights: softmax of cosine similarity / temperature"
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
    embeddings: Literal["refresh", "frozen"] = Field(
        "refresh", description="re-embed the memory after every stage, or keep the first"
    )

    @model_validator(mode="after")
    def _size(self) -> KNNSpec:
        check_size(self)
        return self


def knn_mix(
    scores: torch.Tensor,
    sims: torch.Tensor,
    labels: torch.Tensor,
    candidates: tuple[int, ...],
    weight: float,
    temperature: float,
) -> torch.Tensor:
    """log((1 - weight) softmax(scores) + weight p_knn): (B, K) over `candidates`.

    `sims` (B, k) are the neighbours' cosine similarities, `labels` (B, k) their global class
    ids (each one of `candidates`); p_knn puts softmax(sims / temperature) on their classes."""
    p_model = torch.softmax(scores.float(), dim=1)  # (B, K)
    w = torch.softmax(sims.float().to(scores.device) / temperature, dim=1)  # (B, k)
    column = torch.full((max(candidates) + 1,), -1, dtype=torch.long, device=scores.device)
    column[torch.tensor(candidates, device=scores.device)] = torch.arange(
        len(candidates), device=scores.device
    )
    cols = column[labels.to(scores.device)]  # (B, k) candidate column of each neighbour
    p_knn = torch.zeros_like(p_model).scatter_add_(1, cols, w)
    return torch.log((1 - weight) * p_model + weight * p_knn)


@strategies.register("knn", help="kNN memory: neighbours' labels mixed into predictions")
class KNN(Strategy):
    Spec = KNNSpec
    requires = {"mode": ("classifier", "it mixes neighbours' labels into class probabilities")}

    def end_task(self, ctx: TaskContext) -> None:
        if not hasattr(self, "memory_"):
            self.memory_ = new_memory(self.spec.selection)
            self.embeddings_: torch.Tensor | None = None
            self.retrieval_s_: list[float] = []
        size = capacity(self.spec, ctx.stream, ctx.stage)
        examples = ctx.encode(list(ctx.task.train))
        if self.spec.embeddings == "refresh":  # every stored example through today's model
            offer(self.memory_, examples, size, ctx.rng)
            self.embeddings_ = embed(ctx.learner, self.memory_.items)
        else:  # frozen at insertion: only the examples it takes in are embedded
            self.embeddings_ = offer_embedded(
                self.memory_,
                self.embeddings_,
                examples,
                size,
                ctx.rng,
                lambda new: embed(ctx.learner, new),
            )
        self.retrieval_s_.append(0.0)  # retrieval seconds of the evaluation after this stage
        self._indexes: dict = {}

    def _index(self, candidates: tuple[int, ...]):
        """(CosineIndex, labels) over the stored examples whose class competes, or None."""
        cache = getattr(self, "_indexes", None)
        if cache is None:
            cache = self._indexes = {}
        if candidates not in cache:
            allowed = set(candidates)
            rows = [i for i, it in enumerate(self.memory_.items) if it.label in allowed]
            cache[candidates] = (
                (
                    CosineIndex(self.embeddings_[rows]),
                    torch.tensor([self.memory_.items[i].label for i in rows]),
                )
                if rows
                else None
            )
        return cache[candidates]

    def readout(self, learner, batch, candidates, scores, features):
        if features is None or getattr(self, "embeddings_", None) is None:
            return None
        t0 = time.perf_counter()
        found = self._index(tuple(candidates))
        if found is None:
            return None
        index, labels = found
        sims, rows = index.search(features, self.spec.k)  # (B, k), best first
        mixed = knn_mix(
            scores, sims, labels[rows], tuple(candidates), self.spec.weight, self.spec.temperature
        )
        self.retrieval_s_[-1] += time.perf_counter() - t0
        return mixed

    def summary(self) -> dict:
        if not hasattr(self, "memory_"):
            return {}
        dim = 0 if self.embeddings_ is None else int(self.embeddings_.shape[1])
        return {
            "stored": len(self.memory_),
            "stored_bytes": self.state_bytes(),
            "embedding_dim": dim,
            "index": "faiss IndexFlatIP (exact cosine)",
            "index_bytes": len(self.memory_) * dim * 4,
            "retrieval_s": list(self.retrieval_s_),
        }
