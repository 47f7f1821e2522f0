"""The experiment spec: one typed, frozen object, loaded from TOML with dotted overrides.

    spec = load_spec("exp.toml", overrides=["train.lr=3e-5", "strategy.kind=joint"])

Every section rejects unknown keys. Variants (`stream`, `strategy`) are chosen by `kind`,
from the registries, so a new stream kind or strategy adds its spec class in its own file.
Errors are `SpecError`s with one line naming each bad field path.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import tomli_w
from pydantic import Field, ValidationError, create_model, field_validator, model_validator

from forgetlab.errors import SpecError
from forgetlab.fileio import SPEC_LIMIT, read_input_file
from forgetlab.methods import methods
from forgetlab.methods.full import FullSpec
from forgetlab.observers import observers, spec_sections
from forgetlab.spec.base import SafeName, SpecModel
from forgetlab.spec.errors import format_validation_error
from forgetlab.spec.paths import set_path
from forgetlab.strategies import strategies
from forgetlab.strategies.seq import SeqSpec
from forgetlab.streams import stream_kinds
from forgetlab.streams.transforms import transforms

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
    dtype: Literal["float32", "bfloat16", "float16"] = Field(
        "float32", description="dtype of the model's weights (bfloat16 halves their memory)"
    )


class TrainSpec(SpecModel):
    epochs: Annotated[int, Field(gt=0)] = Field(2, description="passes over each task's data")
    batch_size: Annotated[int, Field(gt=0)] = Field(32, description="examples per step")
    lr: Annotated[float, Field(gt=0, le=10, allow_inf_nan=False)] = Field(
        1e-4, description="peak AdamW learning rate (at most 10)"
    )
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
    precision: Literal["fp32", "bf16", "fp16"] = Field(
        "fp32", description="autocast dtype of the forward (fp16: with a gradient scaler)"
    )
    grad_accum: Annotated[int, Field(gt=0)] = Field(
        1, description="micro-batches per optimizer step (batch_size is split among them)"
    )
    gradient_checkpointing: bool = Field(
        False, description="recompute activations in the backward (less memory, more time)"
    )
    max_steps: Annotated[int, Field(gt=0)] | None = Field(
        None, description="at most this many optimizer steps per stage"
    )
    log_every: Annotated[int, Field(gt=0)] | None = Field(
        None, description="every N steps: mean loss, lr and tokens/s to the bar and tracker"
    )


class _Experiment(SpecModel):
    """The fixed sections; the observers' tables (eval, log, probe, ...) are added from the
    observer registry below, so a new observer brings its own table."""

    name: SafeName = Field(
        "experiment", description="names the run directory (letters, digits, '-', '_', '.')"
    )
    seed: int = Field(0, ge=0, lt=2**32, description="training seed (model init, shuffling)")
    seeds: Annotated[list[Annotated[int, Field(ge=0, lt=2**32)]], Field(min_length=1)] | None = (
        Field(
            None,
            description="run once per seed and summarise every metric (mean, 95% interval); "
            "`forgetlab run --seeds N` is the same as seeds = [seed, ..., seed + N - 1]",
        )
    )
    seed_fields: tuple[str, ...] = Field(
        (),
        description='dotted fields that take `seed` too, e.g. ["stream.seed"]: with seeds = '
        "[...] (or in a sweep) every replicate then also draws its own class set",
    )
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

    @field_validator("strategy", "transform", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, dict) else v

    @model_validator(mode="before")
    @classmethod
    def _paired_seed(cls, data: Any) -> Any:
        """`seed_fields` take the spec's seed, before anything else is validated."""
        fields = data.get("seed_fields") if isinstance(data, dict) else None
        if not fields or not isinstance(fields, (list, tuple)):
            return data
        data = copy.deepcopy(data)
        for path in fields:
            if not isinstance(path, str):
                continue  # the field's own validation names it
            if path.split(".")[0] in ("seed", "seeds", "seed_fields", "name"):
                raise ValueError(f"seed_fields: {path!r} cannot take the seed; name spec fields")
            try:
                set_path(data, path, data.get("seed", 0))
            except SpecError as e:
                raise ValueError(f"seed_fields: {e}") from None
        return data


def _observer_field(spec_cls: type, optional: bool, help: str) -> tuple:
    if optional:
        return (spec_cls | None, Field(None, description=help))
    return (spec_cls, Field(default_factory=spec_cls, description=help))


ExperimentSpec = create_model(
    "ExperimentSpec",
    __base__=_Experiment,
    __doc__="The whole experiment: one frozen, validated object (see the module docstring).",
    **{
        section: _observer_field(spec_cls, optional, observers.help(name))
        for section, (name, spec_cls, optional) in spec_sections().items()
    },
)


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


YAML_SUFFIXES = (".yaml", ".yml")


def parse_yaml(text: str, source: str) -> dict:
    """YAML text (PyYAML's safe loader: plain data, no tags, no aliases) -> dict; SpecError naming
    `source` and the line when it is invalid, not a table at the top, or nested too deeply."""
    import yaml

    class NoAliases(yaml.SafeLoader):
        """Anchors may be written but not repeated with *alias: a few lines of aliases
        can expand to billions of values."""

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(
                    None, None, "aliases (*name) are not accepted in specs", mark
                )
            return super().compose_node(parent, index)

    try:
        data = yaml.load(text, Loader=NoAliases)  # noqa: S506 (a SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SpecError(f"{source} is not valid YAML{where}: {e.problem or e}") from None
    except yaml.YAMLError as e:
        raise SpecError(f"{source} is not valid YAML: {e}") from None
    except RecursionError:
        raise NestingError(f"{source} nests tables or arrays more than {MAX_DEPTH} deep") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SpecError(
            f"{source}: the top level must be a mapping of keys (got {type(data).__name__})"
        )
    if too_deep(data):
        raise NestingError(f"{source} nests tables or arrays more than {MAX_DEPTH} deep")
    return _yaml_plain(data, source)


def _yaml_plain(value: Any, source: str, path: str = "") -> Any:
    """YAML values as TOML would give them: string keys; dates and times stay values that
    the spec's fields reject by name. YAML 1.1 reads `3e-5` (no dot) as a string: pydantic
    turns such strings into numbers where a field wants one."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                where = f"{path}.{k}" if path else str(k)
                raise SpecError(f"{source}: key {where!r} must be a string")
            out[k] = _yaml_plain(v, source, f"{path}.{k}" if path else k)
        return out
    if isinstance(value, list):
        return [_yaml_plain(v, source, f"{path}.{i}") for i, v in enumerate(value)]
    return value


def read_toml(path: Path, what: str = "spec file") -> dict:
    """A spec file (a regular file of bounded size, see `read_input_file`) as a dict: TOML,
    or YAML when its name ends in .yaml or .yml (same validation afterwards)."""
    text = read_input_file(path, what, SpecError, SPEC_LIMIT)
    if Path(path).suffix.lower() in YAML_SUFFIXES:
        return parse_yaml(text, f"{what} {str(path)!r}")
    return parse_toml(text, f"{what} {str(path)!r}")


def _absolute_paths(data: dict, base: Path) -> dict:
    """Paths in the stream section (the fields its spec declares in `path_fields`: data
    files) and a local `model.name` are relative to the spec file's folder."""
    stream = data.get("stream")
    if isinstance(stream, dict) and stream.get("kind") in stream_kinds:
        fields = getattr(stream_kinds.get(stream["kind"]).Spec, "path_fields", ())
        for key in fields:
            if key in stream:
                stream[key] = _resolve(stream[key], base)
    model = data.get("model")
    if isinstance(model, dict) and isinstance(model.get("name"), str):
        name = model["name"]
        if name.startswith(("./", "../")) and (base / name).exists():
            model["name"] = str((base / name).resolve())
    return data


def _resolve(value: Any, base: Path) -> Any:
    """A path string (or the strings of a list or table of paths) made absolute."""
    if isinstance(value, str):
        return value if Path(value).is_absolute() else str((base / value).resolve())
    if isinstance(value, list):
        return [_resolve(v, base) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, base) for k, v in value.items()}
    return value


def spec_from_dict(data: dict) -> ExperimentSpec:
    try:
        return ExperimentSpec.model_validate(data)
    except ValidationError as e:
        raise SpecError(format_validation_error(e)) from None


def load_spec(path: str | Path | None = None, overrides: list[str] | None = None) -> ExperimentSpec:
    """Load a TOML or YAML spec (None: the quickstart), apply `--set` overrides, validate."""
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
