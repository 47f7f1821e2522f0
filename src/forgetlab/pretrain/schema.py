"""The typed contents of a pretraining run's `results.json` (and each checkpoint's
`pretrain.json`, which holds one CheckpointRecord)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class CheckpointRecord(BaseModel):
    tokens: int  # training tokens seen (optimizer steps x tokens per step)
    step: int
    path: str  # relative to the run directory
    heldout_loss: float  # mean next-token NLL (nats) on the corpus's held-out part
    heldout_ppl: float  # exp(heldout_loss)
    heldout_tokens: int  # tokens scored
    train_loss: float | None  # mean LM loss over the last logging window (None at 0)
    wall_time_s: float  # since the run started (resumes included)
    params: int


class LogRecord(BaseModel):
    step: int
    tokens: int
    loss: float
    lr: float
    tokens_per_s: float


class PretrainModelInfo(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    name: str
    family: str
    total_params: int
    embedding_params: int
    pretrain_tokens: int
    shape: dict  # layers, hidden, heads, kv_heads, intermediate, experts, top_k


class PretrainResults(BaseModel):
    kind: Literal["pretrain"] = "pretrain"
    status: str  # running | complete
    name: str
    seed: int
    device: str
    precision: str
    model: PretrainModelInfo
    vocab_size: int
    corpus: dict  # kind, documents, train_tokens, heldout_tokens, ...
    tokens_per_step: int
    total_steps: int
    steps_done: int
    tokens_seen: int
    checkpoints: list[CheckpointRecord]
    log: list[LogRecord]
    metrics: dict[str, float | None]  # final heldout_ppl, heldout_loss, tokens_per_s
    train_s: float  # seconds inside optimizer steps
    wall_time_s: float
    tokens_per_s: float | None  # training tokens / train_s
    started_at: str
    finished_at: str | None
    versions: dict[str, str]
    git: dict
    resumed_at: list[int] = []  # the step of each resume
