"""The pretraining spec: corpus, tokenizer, model family and size, training, checkpoints.

    spec = load_pretrain_spec("experiments/scale/rung.toml", overrides=["model.params=1e6"])

One TOML file, validated by frozen pydantic models that reject unknown keys (like the
experiment spec); errors are one line naming the field. Corpus file paths are relative to
the spec file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Union

import tomli_w
from pydantic import Field, ValidationError, field_validator, model_validator

from forgetlab.errors import SpecError
from forgetlab.pretrain.corpus import corpora
from forgetlab.pretrain.corpus.wordnet import WordNetCorpusSpec
from forgetlab.pretrain.families import families
from forgetlab.registry import did_you_mean
from forgetlab.spec import _finite, apply_overrides, read_toml
from forgetlab.spec.base import SpecModel
from forgetlab.spec.errors import format_validation_error

Positive = Annotated[int, Field(gt=0)]
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]

CorpusSpec = Annotated[
    Union[tuple(corpora.get(n).Spec for n in corpora.names())],  # noqa: UP007
    Field(discriminator="kind"),
]


class TokenizerSpec(SpecModel):
    kind: Literal["bundled", "train"] = Field(
        "bundled", description="forgetlab's byte-level BPE (4,096 tokens), or a new BPE"
    )
    vocab_size: Annotated[int, Field(ge=260)] = Field(
        4096, description="kind = 'train': vocabulary size of the new byte-level BPE"
    )
    min_frequency: Positive = Field(
        2, description="kind = 'train': merges seen at least this often"
    )


class PretrainModelSpec(SpecModel):
    family: str = Field("gpt2", description="gpt2 | llama | moe | lstm")
    params: Positive | None = Field(
        None, description="target parameter count; the size helper picks layers and widths"
    )
    layers: Positive | None = Field(None, description="blocks (with params: fixes the depth)")
    hidden: Positive | None = Field(None, description="model width")
    heads: Positive | None = Field(None, description="attention heads (default hidden / head_dim)")
    kv_heads: Positive | None = Field(None, description="key/value heads (default: heads)")
    intermediate: Positive | None = Field(
        None, description="MLP width (per expert for moe); default 4 x hidden (gpt2), 8/3 (llama)"
    )
    experts: Positive | None = Field(None, description="moe: experts per block (default 4)")
    top_k: Positive | None = Field(None, description="moe: experts per token (default 2)")
    router_aux_loss_coef: Annotated[float, Field(ge=0)] = Field(
        0.01, description="moe: weight of the router's load-balancing loss in pretraining"
    )
    context: Positive = Field(128, description="longest sequence (learned positions of gpt2)")
    head_dim: Positive = Field(32, description="the size helper's head size")
    aspect: PositiveFloat = Field(32.0, description="the size helper's width per layer")

    @field_validator("family")
    @classmethod
    def _family(cls, v: str) -> str:
        if v not in families:
            hint = did_you_mean(v, families.names()) or " choose one of: " + ", ".join(
                families.names()
            )
            raise ValueError(f"unknown model family {v!r};{hint}")
        return v

    @model_validator(mode="after")
    def _size(self) -> PretrainModelSpec:
        if self.params is not None and self.hidden is not None:
            raise ValueError("give params (a target) or hidden (explicit sizes), not both")
        if self.params is None and (self.layers is None or self.hidden is None):
            raise ValueError("give params = N (a target count) or layers and hidden")
        if self.family != "moe" and (self.experts is not None or self.top_k is not None):
            raise ValueError(f"experts and top_k are moe fields, not {self.family}")
        if self.family == "lstm" and (self.heads or self.kv_heads or self.intermediate):
            raise ValueError("lstm has no heads, kv_heads or intermediate")
        return self

    @property
    def n_experts(self) -> int:
        return self.experts or 4

    @property
    def k(self) -> int:
        return self.top_k or 2


class PretrainTrainSpec(SpecModel):
    tokens: Positive = Field(2_000_000, description="training tokens in all")
    seq_len: Positive = Field(128, description="tokens per training sequence")
    batch_size: Positive = Field(16, description="sequences per micro-batch")
    grad_accum: Positive = Field(1, description="micro-batches per optimizer step")
    lr: PositiveFloat = Field(1e-3, description="peak AdamW learning rate")
    min_lr_ratio: Annotated[float, Field(ge=0, le=1)] = Field(
        0.1, description="cosine decay ends at lr x this"
    )
    warmup: Annotated[float, Field(ge=0, lt=1)] = Field(
        0.05, description="share of the steps spent warming up linearly"
    )
    weight_decay: Annotated[float, Field(ge=0)] = Field(0.1, description="AdamW weight decay")
    beta2: Annotated[float, Field(gt=0, lt=1)] = Field(0.95, description="AdamW beta2")
    max_grad_norm: Annotated[float, Field(ge=0)] = Field(1.0, description="clipping (0: off)")
    precision: Literal["fp32", "bf16"] = Field("fp32", description="bf16: torch autocast")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="auto: cuda if available")
    eval_tokens: Positive = Field(
        65_536, description="held-out tokens scored at every checkpoint (at most)"
    )
    eval_batch_size: Positive = Field(32, description="sequences per held-out batch")
    resume_every: Positive = Field(
        200, description="optimizer steps between resume states (and at every checkpoint)"
    )
    log_every: Positive = Field(20, description="steps between progress updates (loss, tok/s)")


class CheckpointsSpec(SpecModel):
    count: Annotated[int, Field(ge=2)] = Field(
        5, description="checkpoints, log-spaced from `first` tokens to the end, plus 0 tokens"
    )
    first: Positive | None = Field(None, description="smallest nonzero count (default tokens/100)")
    at: list[Annotated[int, Field(ge=0)]] | None = Field(
        None, description="explicit token counts instead (the end is always added)"
    )


class PretrainSpec(SpecModel):
    name: str = Field("pretrain", description="names the output directory")
    seed: int = Field(0, ge=0, lt=2**32, description="model init and data order")
    corpus: CorpusSpec = Field(default_factory=WordNetCorpusSpec)
    tokenizer: TokenizerSpec = TokenizerSpec()
    model: PretrainModelSpec
    train: PretrainTrainSpec = PretrainTrainSpec()
    checkpoints: CheckpointsSpec = CheckpointsSpec()

    @model_validator(mode="after")
    def _fits(self) -> PretrainSpec:
        if self.train.seq_len > self.model.context:
            raise ValueError(
                f"train.seq_len {self.train.seq_len} is longer than model.context "
                f"{self.model.context}"
            )
        for t in self.checkpoints.at or []:
            if t > self.train.tokens:
                raise ValueError(f"checkpoints.at: {t} is past train.tokens {self.train.tokens}")
        return self


def pretrain_spec_from_dict(data: dict) -> PretrainSpec:
    try:
        return PretrainSpec.model_validate(data)
    except ValidationError as e:
        line = format_validation_error(e, PretrainSpec)
        raise SpecError(line.removeprefix("spec: ")) from None  # whole-spec checks name fields


def _absolute_corpus_paths(data: dict, base: Path) -> dict:
    corpus = data.get("corpus")
    if isinstance(corpus, dict) and isinstance(corpus.get("paths"), list):
        corpus["paths"] = [
            str((base / p).resolve()) if isinstance(p, str) and not Path(p).is_absolute() else p
            for p in corpus["paths"]
        ]
    return data


def load_pretrain_spec(path: str | Path, overrides: list[str] | None = None) -> PretrainSpec:
    """Read a pretraining TOML, apply `--set` overrides, validate (SpecError, one line)."""
    path = Path(path)
    data = _absolute_corpus_paths(read_toml(path), path.resolve().parent)
    return pretrain_spec_from_dict(apply_overrides(data, list(overrides or [])))


def dump_pretrain_spec(spec: PretrainSpec) -> str:
    """The resolved spec as TOML, every default written out."""
    data: Any = _finite(spec.model_dump(mode="json", exclude_none=True))
    return tomli_w.dumps(data)
