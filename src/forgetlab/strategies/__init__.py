"""Continual-learning strategies, one module each, registered by name in `strategies`."""

from __future__ import annotations

from forgetlab.strategies.base import HOOKS, Strategy, TaskContext, strategies

# Built-in strategies: one import line per module registers it.
from forgetlab.strategies import joint as _joint  # noqa: E402,F401  isort: skip
from forgetlab.strategies import seq as _seq  # noqa: E402,F401  isort: skip

__all__ = ["HOOKS", "Strategy", "TaskContext", "strategies", "build_strategies"]


def build_strategies(specs) -> list[Strategy]:
    """Fresh strategy objects, in the spec's order (batches pipe through, penalties add)."""
    return [strategies.get(s.kind)(s) for s in specs]
