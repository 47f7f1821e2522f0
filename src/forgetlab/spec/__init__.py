"""The experiment spec: one typed, frozen object, loaded from TOML with dotted overrides.

    spec = load_spec("exp.toml", overrides=["train.lr=3e-5", "strategy.kind=joint"])

`base` holds SpecModel (every section's base class), `errors` turns pydantic errors into one
line naming the field, `paths` sets dotted paths (`--set` and sweep axes), `experiment` the
ExperimentSpec and its loading.
"""

from __future__ import annotations

from typing import Any

from forgetlab.spec.base import SpecModel

# Everything else is in `experiment`, imported on first use: the registries' modules import
# `forgetlab.spec.base`, and must not pull in the ExperimentSpec (built from the registries).
_LAZY = (
    "QUICKSTART",
    "EvalSpec",
    "ExperimentSpec",
    "ModelSpec",
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
)


def __getattr__(name: str) -> Any:
    if name == "EvalSpec":
        from forgetlab.observers.evaluation import EvalSpec

        return EvalSpec
    if name in _LAZY:
        from forgetlab.spec import experiment

        return getattr(experiment, name)
    raise AttributeError(f"module 'forgetlab.spec' has no attribute {name!r}")


__all__ = ["SpecModel", *_LAZY]
