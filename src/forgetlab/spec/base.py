"""Base class of every spec section: frozen, unknown keys rejected."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class SpecModel(BaseModel):
    """A frozen pydantic model that rejects unknown keys (the spec's building block)."""

    model_config = ConfigDict(extra="forbid", frozen=True, protected_namespaces=())
