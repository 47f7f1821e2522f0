"""Continual-learning strategies, one module each, registered by name in `strategies`."""

from __future__ import annotations

from forgetlab.strategies.base import HOOKS, Strategy, TaskContext, strategies

# Built-in strategies: one import line per module registers it.
from forgetlab.strategies import agem as _agem  # noqa: E402,F401  isort: skip
from forgetlab.strategies import branch as _branch  # noqa: E402,F401  isort: skip
from forgetlab.strategies import derpp as _derpp  # noqa: E402,F401  isort: skip
from forgetlab.strategies import er as _er  # noqa: E402,F401  isort: skip
from forgetlab.strategies import ewc as _ewc  # noqa: E402,F401  isort: skip
from forgetlab.strategies import joint as _joint  # noqa: E402,F401  isort: skip
from forgetlab.strategies import knn as _knn  # noqa: E402,F401  isort: skip
from forgetlab.strategies import lamol as _lamol  # noqa: E402,F401  isort: skip
from forgetlab.strategies import lwf as _lwf  # noqa: E402,F401  isort: skip
from forgetlab.strategies import mas as _mas  # noqa: E402,F401  isort: skip
from forgetlab.strategies import olora as _olora  # noqa: E402,F401  isort: skip
from forgetlab.strategies import rag as _rag  # noqa: E402,F401  isort: skip
from forgetlab.strategies import seq as _seq  # noqa: E402,F401  isort: skip
from forgetlab.strategies import seq_star as _seq_star  # noqa: E402,F401  isort: skip

# Modules that hold shared code, not a strategy of their own.
HELPER_MODULES = frozenset(
    {"base", "buffers", "importance", "layer_grads", "per_sample", "regularization"}
)

__all__ = ["HOOKS", "Strategy", "TaskContext", "strategies", "build_strategies"]


def build_strategies(specs) -> list[Strategy]:
    """Fresh strategy objects, in the spec's order (batches pipe through, penalties add)."""
    return [strategies.get(s.kind)(s) for s in specs]
