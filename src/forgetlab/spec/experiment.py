"""The experiment spec: one typed, frozen object, loaded from TOML with dotted overrides.

    spec = load_spec("exp.toml", overrides=["train.lr=3e-5", "strategy.kind=joint"])

Every section rejects unknown keys. Variants (`stream`, `strategy`) are chosen by `kind`,
from the registries, so a new stream kind or strategy adds its spec class in its own file.
Errors are `SpecError`s with one line naming each bad field path.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import tomli_w
from pydantic import Field, ValidationError, field_validator

from forgetlab.errors import SpecError
from forgetlab.fileio import SPEC_LIMIT, read_input_file
from forgetlab.methods import methods
from forgetlab.methods.full import FullSpec
from forgetlab.probing.spec import ProbeSpec
from forgetlab.spec.base import SafeName, SpecModel
from forgetlab.spec.errors import format_validation_error
from forgetlab.spec.paths import set_path
from forgetlab.strategies import strategies
from forgetlab.strategies.seq import SeqSpec
from forgetlab.streams import stream_kinds
from forgetlab.streams.transforms import transforms
from forgetlab.tracking.spec import LogSpec

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

QUICKSTART = Path(__file__).resolve().parent.parent / "quickstart.toml"

PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]


def _union(registry) -> Any:
    """A `kind`-discriminated union of the spec classes of every registered entry."""
    classes = tuple(dict.fromkeys(registry.get(n).Spec for n in registry.names()))
    if len(classes) == 1:
        return classes[0]
    return Annotated[Union[classes], Field(discriminator="kind")]  # noqa: UP007


StreamSpec = _union(stream_kinds)
MethodSpec = _union(methods)
StrategySpec = _union(strategies)
TransformSpec = _union(transforms)


class ModelSpec(SpecModel):
    name: str = Field("minilm", description="registered name (forgetlab ls models), dir or hub id")
    mode: Literal["auto", "classifier", "text_to_text"] = Field(
        "auto", description="classifier heads, or labels as words (causal LMs); auto decides"
    )
    pooling: Literal["mean", "cls", "last"] = Field("mean", description="classifier features")
    head: Literal["linear", "cosine"] | None = Field(
        None, description="classifier head; default linear, or what the strategy asks (seq_star)"
    )
    revision: str | None = Field(None, description="hub revision (branch, tag or commit)")
    trust_remote_code: bool = Field(False, description="run model code from the hub (unsafe)")
    allow_pickle: bool = Field(
        False,
        description="load a local folder or hub model that has only pickle weights "
        "(pytorch_model.bin); unpickling can run code, so convert to safetensors when you can",
    )
    config_overrides: dict[str, int | float | str | bool] | None = Field(
        None, description="config fields of a tiny registered model, e.g. {n_layer = 4}"
    )


class TrainSpec(SpecModel):
    epochs: Annotated[int, Field(gt=0)] = Field(2, description="passes over each task's data")
    batch_size: Annotated[int, Field(gt=0)] = Field(32, description="examples per step")
    lr: PositiveFloat = Field(1e-4, description="peak AdamW learning rate")
    weight_decay: NonNegFloat = Field(0.01, description="AdamW decoupled weight decay")
    warmup_ratio: Annotated[float, Field(ge=0, lt=1)] = Field(
        0.1, description="share of each stage's steps spent warming the lr up from 0"
    )
    max_grad_norm: NonNegFloat = Field(1.0, description="gradient clipping norm (0 = off)")
    max_length: Annotated[int, Field(gt=0)] = Field(64, description="max tokens per example")
    group_by_length: bool = Field(True, description="batch examples of similar length together")
    online: bool = Field(
        False, description="one pass over each task in data order: no epochs, no reshuffling"
    )
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="auto: cuda if available")
    checkpoint: Literal["last", "every", "none"] = Field(
        "last", description="save the model after the last stage, after every stage, or never"
    )


class EvalSpec(SpecModel):
    batch_size: Annotated[int, Field(gt=0)] = Field(128, description="examples per eval batch")
    exact_match: bool = Field(
        False,
        description="causal LMs: also generate each answer greedily and report exact-match "
        "accuracy per stage (next to the log-likelihood ranking)",
    )


class ExperimentSpec(SpecModel):
    name: SafeName = Field(
        "experiment", description="names the run directory (letters, digits, '-', '_', '.')"
    )
    seed: int = Field(0, ge=0, lt=2**32, description="training seed (model init, shuffling)")
    model: ModelSpec = ModelSpec()
    stream: StreamSpec = Field(description="the tasks, e.g. kind = 'wordnet-cil'")
    method: MethodSpec = Field(
        default_factory=FullSpec, description="which weights train: full, lora, freeze, ..."
    )
    strategy: tuple[StrategySpec, ...] = Field(
        default_factory=lambda: (SeqSpec(),),
        description="one strategy, or a list applied in order",
    )
    transform: tuple[TransformSpec, ...] = Field(
        default_factory=tuple,
        description="data transforms applied to the stream in order (duplicate, order, ...)",
    )
    train: TrainSpec = TrainSpec()
    eval: EvalSpec = EvalSpec()
    log: LogSpec = Field(default_factory=LogSpec, description="TensorBoard / MLflow logging")
    probe: ProbeSpec | None = Field(
        None, description="probe every layer after every stage (see README 'Probing')"
    )

    @field_validator("strategy", "transform", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, dict) else v


MAX_DEPTH = 32  # tables and arrays inside each other; real specs use 4 or 5


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True if `value` nests dicts/lists more than `limit` deep (checked without recursion)."""
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list, tuple)):
            if depth >= limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return False


class NestingError(SpecError):
    """TOML nested deeper than MAX_DEPTH."""


def parse_toml(text: str, source: str) -> dict:
    """TOML text -> dict; SpecError naming `source` if it is invalid or nested too deeply
    (the parser recurses: thousands of nested arrays would be a RecursionError)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{source} is not valid TOML: {e}") from None
    except RecursionError:
        data = None
    if data is None or too_deep(data):
        raise NestingError(f"{source} nests tables or arrays more than {MAX_DEPTH} deep")
    return data


def parse_override(item: str) -> tuple[list[str], Any]:
    """'train.lr=3e-5' -> (['train', 'lr'], 3e-05); values are TOML, else plain strings."""
    if "=" not in item:
        raise SpecError(f"--set {item!r}: expected KEY=VALUE, e.g. train.lr=3e-5")
    key, raw = item.split("=", 1)
    try:
        value = parse_toml(f"v = {raw}", f"--set {key.strip()}")["v"]
    except NestingError:
        raise
    except SpecError:
        value = raw  # not TOML: a plain string
    return key.strip().split("."), value


def apply_overrides(data: dict, overrides: list[str]) -> dict:
    """Set dotted paths: `train.lr=3e-5`, `strategy.lambda=5` (a single strategy),
    `transform.1.factor=3` (the second transform of a list)."""
    for item in overrides:
        path, value = parse_override(item)
        try:
            set_path(data, ".".join(path), value)
        except SpecError as e:  # its message starts with the path, which item already names
            raise SpecError(f"--set {item!r}: {str(e).split(': ', 1)[-1]}") from None
    return data


def read_toml(path: Path, what: str = "spec file") -> dict:
    """A TOML file (a regular file of bounded size, see `read_input_file`) as a dict."""
    text = read_input_file(path, what, SpecError, SPEC_LIMIT)
    return parse_toml(text, f"{what} {str(path)!r}")


def _absolute_paths(data: dict, base: Path) -> dict:
    """Data file paths in the stream section are relative to the spec file's folder."""
    stream = data.get("stream")
    if isinstance(stream, dict):
        for key in ("train", "test"):
            if isinstance(stream.get(key), str) and not Path(stream[key]).is_absolute():
                stream[key] = str((base / stream[key]).resolve())
    return data


def spec_from_dict(data: dict) -> ExperimentSpec:
    try:
        return ExperimentSpec.model_validate(data)
    except ValidationError as e:
        raise SpecError(format_validation_error(e)) from None


def load_spec(path: str | Path | None = None, overrides: list[str] | None = None) -> ExperimentSpec:
    """Load a TOML spec (None: the built-in quickstart), apply `--set` overrides, validate."""
    path = Path(path) if path is not None else QUICKSTART
    data = _absolute_paths(read_toml(path), path.resolve().parent)
    return spec_from_dict(apply_overrides(data, list(overrides or [])))


def _finite(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    return x if not (isinstance(x, float) and math.isnan(x)) else None


def dump_spec(spec: ExperimentSpec) -> str:
    """The resolved spec as TOML, every default written out (loads back to an equal spec)."""
    return tomli_w.dumps(_finite(spec.model_dump(mode="json", exclude_none=True)))
