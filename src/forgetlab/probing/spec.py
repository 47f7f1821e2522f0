"""`[probe]`: which probes, layers and features the prober fits after every stage.

    [probe]
    probes = ["linear", "prototype"]   # default: all four kinds
    layers = [0, 6]                    # default "all"; 0 = embedding output, -1 = last layer
    train_per_class = 16               # each probe's training examples per class
    validation_per_class = 4           # the rest of the per-class pool: best-layer choice
    subsamples = 6                     # probes per cell: mean and 95% interval

Probe kind names are checked here (did-you-mean); layer indices are checked against the
model when the prober is built, since only the model knows its layer count.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, field_validator

from forgetlab.registry import did_you_mean
from forgetlab.spec.base import SpecModel

ALL_PROBES = ("linear", "ridge", "prototype", "cosine_prototype")


class ProbeSpec(SpecModel):
    probes: tuple[str, ...] = Field(
        ALL_PROBES,
        description="probe kinds: linear (logistic regression), ridge, prototype "
        "(nearest class mean), cosine_prototype; the top-level accuracy matrices are the "
        "linear probe's (else the first listed)",
    )
    layers: Literal["all"] | tuple[int, ...] = Field(
        "all",
        description="'all', or layer indices: 0 = embedding output, k = after block k, "
        "negative counts from the last layer (-1 = last)",
    )
    pooling: Literal["mean", "cls", "last"] = Field(
        "mean",
        description="token states -> one vector: mean over real tokens, first token, or last "
        "real token (causal LMs: over the prompt tokens only; cls is not allowed)",
    )
    train_per_class: PositiveInt = Field(
        16,
        description="training examples per class each probe is fit on, drawn from a pool of "
        "train_per_class + validation_per_class examples per class of the training split "
        "(drawn once per run from the run's seed); the pool's features are extracted again "
        "after every stage, so the pool size sets the cost",
    )
    validation_per_class: PositiveInt = Field(
        4,
        description="pool examples per class beyond train_per_class: each subsample leaves "
        "them out and the best layer is chosen on them, never on test examples",
    )
    subsamples: PositiveInt = Field(
        6,
        description="probes fit per (stage, layer, task), each on its own random "
        "train_per_class of the pool; P is their mean with a 95% interval over them (6 with "
        "the default pool of 16 + 4: within +-0.03 on the quickstart, probing under 10% of "
        "training; the interval narrows as 1/sqrt(subsamples), the fits' cost grows with "
        "them)",
    )
    test_per_class: PositiveInt | None = Field(
        None, description="cap on test examples per class the probes are scored on (None: all)"
    )
    cka: bool = Field(True, description="linear CKA of each layer before vs after each stage")
    geometry: bool = Field(
        True, description="class separability per task and old-vs-new class overlap per stage"
    )
    seed: int = Field(
        0,
        description="mixed with the run's seed to draw the pool, subsamples and test cap "
        "(a different run seed draws different examples)",
    )
    batch_size: PositiveInt = Field(
        32, description="examples per feature-extraction batch (sorted by length)"
    )
    feature_dtype: Literal["auto", "float32", "float16"] = Field(
        "auto",
        description="dtype of cached features (memory and disk); auto: float16 when a block "
        "(one task, split and checkpoint, all layers) would exceed 16 MiB in float32",
    )

    keep_features: bool = Field(
        False,
        description="keep every stage's cached features on disk; by default only the latest "
        "stage's stay (all a resumed run needs)",
    )

    @field_validator("probes")
    @classmethod
    def _known_probes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        from forgetlab.probing.probes import probe_kinds

        if not v:
            raise ValueError("name at least one probe kind")
        for name in v:
            if name not in probe_kinds:
                hint = did_you_mean(name, probe_kinds.names())
                raise ValueError(
                    f"unknown probe kind {name!r};"
                    f"{hint or ' choose one of: ' + ', '.join(probe_kinds.names())}"
                )
        if len(set(v)) != len(v):
            raise ValueError(f"probe kinds listed twice: {list(v)}")
        return v

    @field_validator("layers")
    @classmethod
    def _some_layers(cls, v):
        if v != "all" and not v:
            raise ValueError("name at least one layer, or 'all'")
        return v
