"""Observers: what is measured or recorded around the stages of a run (see `base`).

Registration order is the order they run in at each stage: evaluation first (its accuracy
row is what later observers and the results build on), tracking last (it logs the others).
"""

from __future__ import annotations

from forgetlab.observers.base import (
    History,
    Observer,
    ObserverEnv,
    StageView,
    build_observers,
    observers,
    register,
    spec_sections,
)

# Built-in observers: one import line per module registers it (in this order).
from forgetlab.observers import evaluation as _evaluation  # noqa: E402,F401  isort: skip
from forgetlab.observers import exact_match as _exact_match  # noqa: E402,F401  isort: skip
from forgetlab.observers import predictions as _predictions  # noqa: E402,F401  isort: skip
from forgetlab.observers import knowledge as _knowledge  # noqa: E402,F401  isort: skip
from forgetlab.observers import probing as _probing  # noqa: E402,F401  isort: skip
from forgetlab.observers import membership as _membership  # noqa: E402,F401  isort: skip
from forgetlab.observers import general as _general  # noqa: E402,F401  isort: skip
from forgetlab.observers import probe_transfer as _probe_transfer  # noqa: E402,F401  isort: skip
from forgetlab.observers import recovery as _recovery  # noqa: E402,F401  isort: skip
from forgetlab.observers import conflict as _conflict  # noqa: E402,F401  isort: skip
from forgetlab.observers import checkpoint as _checkpoint  # noqa: E402,F401  isort: skip
from forgetlab.observers import tracking as _tracking  # noqa: E402,F401  isort: skip
from forgetlab.observers import memory as _memory  # noqa: E402,F401  isort: skip
from forgetlab.observers import run_warnings as _run_warnings  # noqa: E402,F401  isort: skip

__all__ = [
    "History",
    "Observer",
    "ObserverEnv",
    "StageView",
    "build_observers",
    "observers",
    "register",
    "spec_sections",
]
