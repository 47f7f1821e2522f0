"""Fine-tuning methods, one module each, registered by name in `methods`."""

from __future__ import annotations

from forgetlab.methods.base import Method, MethodError, methods

# Built-in methods: one import line per module registers it.
from forgetlab.methods import adapter as _adapter  # noqa: E402,F401  isort: skip
from forgetlab.methods import freeze as _freeze  # noqa: E402,F401  isort: skip
from forgetlab.methods import full as _full  # noqa: E402,F401  isort: skip
from forgetlab.methods import head as _head  # noqa: E402,F401  isort: skip
from forgetlab.methods import ia3 as _ia3  # noqa: E402,F401  isort: skip
from forgetlab.methods import lora as _lora  # noqa: E402,F401  isort: skip
from forgetlab.methods import prompt as _prompt  # noqa: E402,F401  isort: skip

__all__ = ["Method", "MethodError", "methods", "build_method"]


def build_method(spec) -> Method:
    return methods.get(spec.kind)(spec)
