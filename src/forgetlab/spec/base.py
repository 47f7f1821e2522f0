"""Base class of every spec section (frozen, unknown keys rejected), and the field types that
several specs share."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict


class SpecModel(BaseModel):
    """A frozen pydantic model that rejects unknown keys (the spec's building block)."""

    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())


_SAFE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}")


def _safe_name(value: str) -> str:
    if not _SAFE_NAME.fullmatch(value):
        raise ValueError(
            "must be one folder name: 1 to 100 letters, digits, '-', '_' or '.', not starting "
            "with '.'; --out chooses any location"
        )
    return value


# A run's or sweep's name: it becomes a folder under runs/, so never a path of its own.
SafeName = Annotated[str, AfterValidator(_safe_name)]
