"""Turn pydantic validation errors into one readable line naming each bad field path."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from forgetlab.registry import did_you_mean

_REGISTRY_OF = {
    "stream": "stream kind",
    "strategy": "strategy",
    "method": "method",
    "transform": "transform",
}


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """Pydantic model classes inside an annotation (Optional, Union, tuple, Annotated...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        out += _models_in(arg)
    return out


def _kinds(model: type[BaseModel]) -> tuple:
    field = model.model_fields.get("kind")
    return typing.get_args(field.annotation) if field is not None else ()


def _walk(root: type[BaseModel], loc: tuple) -> tuple[list[str], tuple[str, ...]]:
    """Follow an error's `loc` through the spec classes. Returns the path without union tags
    and the field names of the section holding the last part (for did-you-mean)."""
    models: list[type[BaseModel]] = [root]
    parts: list[str] = []
    siblings: tuple[str, ...] = tuple(root.model_fields)
    for item in loc:
        if isinstance(item, int):
            parts.append(str(item))
            continue
        tagged = [m for m in models if item in _kinds(m)]
        if tagged and (len(models) > 1 or item not in models[0].model_fields):
            models = tagged[:1]  # pydantic puts the chosen kind in the path: skip it
            continue
        parts.append(str(item))
        if len(models) != 1:
            models = []
            continue
        siblings = tuple(models[0].model_fields)
        field = models[0].model_fields.get(item)
        models = _models_in(field.annotation) if field is not None else []
    return parts, siblings


def _one(err: dict, root: type[BaseModel]) -> str:
    parts, siblings = _walk(root, err["loc"])
    path = ".".join(parts) or "spec"
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "extra_forbidden":
        table = ".".join(p for p in parts[:-1] if not p.isdigit())
        where = f"valid keys of [{table}]" if table else "valid top-level keys"
        hint = did_you_mean(parts[-1], list(siblings)) or " not a field."
        return f"unknown key {path!r};{hint} {where}: {', '.join(siblings)}"
    if kind == "union_tag_invalid":
        what = _REGISTRY_OF.get(parts[0] if parts else "", "kind")
        choices = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
        hint = did_you_mean(str(ctx.get("tag")), choices)
        return (
            f"{path}.kind: unknown {what} {ctx.get('tag')!r};"
            f"{hint or ' choose one of: ' + ', '.join(choices)}"
        )
    if kind == "union_tag_not_found":
        return f"{path}: missing 'kind' ({ctx.get('expected_tags', '')})"
    if kind == "missing":
        return f"{path}: missing required key"
    msg = err["msg"].removeprefix("Value error, ")
    msg = msg[0].lower() + msg[1:]
    got = err.get("input")
    shown = "" if isinstance(got, (dict, list)) else f" (got {got!r})"
    return f"{path}: {msg}{shown}"


def format_validation_error(exc: ValidationError, root: type[BaseModel] | None = None) -> str:
    """All errors of `exc` on one line, separated by '; '. `root`: the spec class validated
    (default ExperimentSpec)."""
    if root is None:
        from forgetlab.spec import ExperimentSpec

        root = ExperimentSpec
    seen: list[str] = []
    for err in exc.errors(include_url=False):
        line = _one(err, root)
        if line not in seen:
            seen.append(line)
    return "; ".join(seen)
