"""The sweep spec: a base experiment plus axes (a grid), seeds, task orders and a backend.

    name = "dup"
    kind = "experiment"                 # or "pretrain": the base is a pretraining spec
    base = "../wordnet/seq.toml"        # or an inline [base] table
    seeds = [0, 1, 2]                   # sets the experiment's `seed`
    seed_fields = ["stream.seed"]       # fields that take the seed too (class set per seed)
    orders = 3                          # 3 seeded task permutations, or [[2, 0, 1], [0, 1, 2]]
    [axes]
    "transform.0.factor" = [1, 2, 4]    # dotted spec field -> values; the grid is the product
    [backend]
    kind = "local"                      # local | ray
    workers = 2

spec = load_sweep_spec("experiments/sweeps/duplication_seeds.toml")
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import tomli_w
from pydantic import Field, ValidationError, field_validator, model_validator

from forgetlab.errors import SpecError
from forgetlab.registry import did_you_mean
from forgetlab.spec import _absolute_paths, _finite, read_toml
from forgetlab.spec.base import SafeName, SpecModel

AxisValues = Annotated[list[Any], Field(min_length=1)]


class BackendSpec(SpecModel):
    kind: Literal["local", "ray"] = Field("local", description="process pool here, or Ray tasks")
    workers: Annotated[int, Field(gt=0)] = Field(
        1, description="cells at once (local); CPUs of a Ray instance started for the sweep"
    )
    address: str | None = Field(None, description="Ray cluster to join (default: start one)")
    num_cpus: Annotated[float, Field(gt=0)] = Field(1.0, description="CPUs per cell (Ray task)")
    num_gpus: Annotated[float, Field(ge=0)] = Field(0.0, description="GPUs per cell (Ray task)")


def flatten_axes(table: dict, prefix: str = "") -> dict[str, Any]:
    """{"train": {"lr": [..]}, "method.r": [..]} -> {"train.lr": [..], "method.r": [..]}."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten_axes(value, f"{path}."))
        else:
            out[path] = value
    return out


class SweepSpec(SpecModel):
    name: SafeName = Field(
        "sweep", description="names the sweep directory (default: the file name)"
    )
    kind: str = Field(
        "experiment",
        description="what each cell runs (forgetlab ls: sweeps.kinds): an experiment, or a "
        "pretraining (ladder)",
    )

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, v: str) -> str:
        from forgetlab.sweeps.kinds import cell_kinds

        cell_kinds.get(v)  # one line with a suggestion for an unknown kind
        return v

    base: dict[str, Any] = Field(description="experiment spec: a TOML path or an inline table")
    axes: dict[str, AxisValues] = Field(
        default_factory=dict, description="dotted spec field -> list of values (grid)"
    )
    seeds: Annotated[list[int], Field(min_length=1)] | None = Field(
        None, description="values of the experiment's `seed` (default: the base's)"
    )
    seed_fields: list[str] = Field(
        default_factory=list,
        description='dotted spec fields that take each cell\'s seed too, e.g. ["stream.seed"]: '
        "every replicate then also draws its own class set (a paired design)",
    )
    orders: int | list[list[int] | list[str]] | None = Field(
        None, description="N seeded task orders, or a list of explicit orders"
    )
    backend: BackendSpec = BackendSpec()

    @field_validator("orders", mode="before")
    @classmethod
    def _orders(cls, v: Any) -> Any:
        if v is None:
            return v
        if isinstance(v, int) and not isinstance(v, bool):
            if v < 1:
                raise ValueError("need at least 1 order")
            return v
        if (
            isinstance(v, list)
            and v
            and all(isinstance(o, list) and o for o in v)
            and all(isinstance(t, (int, str)) and not isinstance(t, bool) for o in v for t in o)
        ):
            return v
        raise ValueError("give a number of seeded orders (orders = 3) or a list of task orders")

    @field_validator("axes", mode="before")
    @classmethod
    def _dotted(cls, v: Any) -> Any:
        return flatten_axes(v) if isinstance(v, dict) else v

    @model_validator(mode="after")
    def _reserved_axes(self) -> SweepSpec:
        for path in self.axes:
            if path == "seed":
                raise ValueError("axes.seed: use `seeds = [...]` for the seed axis")
            if path == "name":
                raise ValueError("axes.name: cells are named by the sweep")
        base_fields = self.base.get("seed_fields") or []
        for path in [*self.seed_fields, *(p for p in base_fields if isinstance(p, str))]:
            if path == "seed":
                raise ValueError("seed_fields: `seed` already takes the seed; name other fields")
            if path in self.axes:
                raise ValueError(f"seed_fields: {path!r} is also an axis; keep one of them")
        if self.kind == "pretrain" and self.orders is not None:
            raise ValueError("orders: a pretraining sweep has no tasks to order")
        return self


def _one_line(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        path = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            field = str(err["loc"][-1])
            siblings = SweepSpec.model_fields if len(err["loc"]) == 1 else BackendSpec.model_fields
            hint = did_you_mean(field, list(siblings)) or " not a sweep field"
            parts.append(f"unknown key {path!r};{hint}")
            continue
        msg = err["msg"].removeprefix("Value error, ")
        msg = (msg[0].lower() + msg[1:]).replace(" after validation", "")
        got = err.get("input")
        shown = "" if isinstance(got, (dict, list)) else f" (got {got!r})"
        parts.append(f"{path}: {msg}{shown}" if path else msg)
    return "; ".join(dict.fromkeys(parts))


def _absolute_axis_paths(axes: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Data file paths among axis values are relative to the sweep file's folder."""
    out = {}
    for path, values in axes.items():
        if path in ("stream.train", "stream.test") and isinstance(values, list):
            values = [str((folder / v).resolve()) if isinstance(v, str) else v for v in values]
        elif path == "stream" and isinstance(values, list):
            values = [
                _absolute_paths({"stream": dict(v)}, folder)["stream"] if isinstance(v, dict) else v
                for v in values
            ]
        out[path] = values
    return out


def sweep_from_dict(data: dict, folder: Path, source: str = "sweep") -> SweepSpec:
    """Validate a sweep table; `base` as a path is read relative to `folder`."""
    data = dict(data)
    base = data.get("base")
    absolute = _absolute_paths
    if data.get("kind") == "pretrain":
        from forgetlab.pretrain.spec import _absolute_corpus_paths as absolute
    if isinstance(base, str):
        path = (folder / base).resolve()
        try:
            data["base"] = absolute(read_toml(path), path.parent)
        except SpecError as e:
            raise SpecError(f"{source}: base: {e}") from None
    elif isinstance(base, dict):
        data["base"] = absolute(dict(base), folder)
    elif base is None:
        raise SpecError(f"{source}: base: missing (a path to an experiment TOML or a [base] table)")
    if isinstance(data.get("axes"), dict):
        data["axes"] = _absolute_axis_paths(flatten_axes(data["axes"]), folder)
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as e:
        raise SpecError(f"{source}: {_one_line(e)}") from None


def load_sweep_spec(path: str | Path, backend: dict | None = None) -> SweepSpec:
    """Read a sweep TOML; `backend` (e.g. {"workers": 2}) overrides its [backend] fields."""
    path = Path(path)
    data = read_toml(path, what="sweep file")
    data.setdefault("name", path.stem)
    if backend:
        data["backend"] = {**data.get("backend", {}), **backend}
    return sweep_from_dict(data, path.resolve().parent, source=str(path))


def dump_sweep(spec: SweepSpec, with_backend: bool = True) -> str:
    """The resolved sweep as TOML: the base inlined with absolute data paths."""
    data = _finite(spec.model_dump(mode="json", exclude_none=True))
    if not with_backend:
        data.pop("backend")
    return tomli_w.dumps(data)
