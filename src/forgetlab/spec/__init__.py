"""The experiment spec: one typed, frozen object, loaded from TOML with dotted overrides.

    spec = load_spec("exp.toml", overrides=["train.lr=3e-5", "strategy.kind=joint"])

`base` holds SpecModel (every section's base class), `errors` turns pydantic errors into one
line naming the field, `paths` sets dotted paths (`--set` and sweep axes), `experiment` the
ExperimentSpec and its loading.
"""

from __future__ import annotations

from forgetlab.spec.base import SpecModel
from forgetlab.spec.experiment import (
    QUICKSTART,
    EvalSpec,
    ExperimentSpec,
    ModelSpec,
    TrainSpec,
    _absolute_paths,
    _finite,
    apply_overrides,
    dump_spec,
    load_spec,
    parse_override,
    read_toml,
    spec_from_dict,
    tomllib,
)

__all__ = [
    "QUICKSTART",
    "EvalSpec",
    "ExperimentSpec",
    "ModelSpec",
    "SpecModel",
    "TrainSpec",
    "_absolute_paths",
    "_finite",
    "apply_overrides",
    "dump_spec",
    "load_spec",
    "parse_override",
    "read_toml",
    "spec_from_dict",
    "tomllib",
]
