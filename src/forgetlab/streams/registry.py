"""The registry of stream kinds. Each entry is a class with `spec` (its spec class) and `build`."""

from __future__ import annotations

from forgetlab.registry import Registry

stream_kinds: Registry = Registry("stream")
