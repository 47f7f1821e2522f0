"""A spec class's fields for people: name, type, default and description, from pydantic.

rows = field_rows(EWCSpec)   # [("lambda_", "float >= 0", "100.0", "penalty weight"), ...]
"""

from __future__ import annotations

import json
import types
import typing
from typing import Any, Literal

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

_BOUNDS = {
    "ge": ">=",
    "gt": ">",
    "le": "<=",
    "lt": "<",
    "min_length": "len >=",
    "max_length": "len <=",
}


def type_name(annotation: Any) -> str:
    """`float`, `"true" | "empirical"`, `list[str]`, `int | None`..., short and readable."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Literal:
        return " | ".join(repr(a).replace("'", '"') for a in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(a) for a in args)
    if origin is typing.Annotated:
        return type_name(args[0]) + _bounds(args[1:])
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        inner = ", ".join("..." if a is Ellipsis else type_name(a) for a in args)
        return f"{name}[{inner}]" if args else name
    if annotation is type(None):
        return "None"
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return "table"
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def _bounds(metadata) -> str:
    """' >= 0', ' > 0, <= 1'... from annotated-types / pydantic constraint objects."""
    parts = []
    for m in metadata:
        for attr, sign in _BOUNDS.items():
            value = getattr(m, attr, None)
            if value is not None:
                parts.append(f"{sign} {value}")
        for inner in getattr(m, "metadata", None) or ():  # a FieldInfo inside Annotated
            parts += [p.strip() for p in _bounds([inner]).split(",") if p.strip()]
    return f" {', '.join(parts)}" if parts else ""


def default_text(field) -> str:
    if field.is_required():
        return "(required)"
    if field.default_factory is not None:
        try:
            value = field.default_factory()
        except TypeError:  # a factory that takes the validated data
            return "(computed)"
    else:
        value = field.default
    if value is PydanticUndefined:
        return "(required)"
    if value is None:
        return "-"
    if isinstance(value, BaseModel):
        return "(table)"
    if isinstance(value, (str, list, tuple, dict)):
        try:
            return json.dumps(value)  # as TOML writes it: quoted, a newline as \\n
        except TypeError:
            return str(value)
    return str(value).replace("'", '"').replace("True", "true").replace("False", "false")


def field_rows(model: type[BaseModel]) -> list[tuple[str, str, str, str]]:
    """(key, type, default, description) of every field of `model`, in declaration order
    (the `kind` tag first when there is one)."""
    rows = []
    for name, field in model.model_fields.items():
        kind = type_name(field.annotation) + _bounds(field.metadata)
        text = field.description or ("selects this entry" if name == "kind" else "")
        rows.append((name, kind, default_text(field), text))
    rows.sort(key=lambda r: r[0] != "kind")
    return rows
