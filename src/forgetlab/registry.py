"""A generic name -> object registry with did-you-mean errors.

Usage:
    strategies = Registry[type]("strategy")

    @strategies.register("ewc")
    class EWC: ...

    strategies.get("ewcc")  # ForgetlabError: unknown strategy 'ewcc'; did you mean 'ewc'?
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from forgetlab.errors import ForgetlabError

T = TypeVar("T")
_NAME = re.compile(r"^[a-z][a-z0-9_\-]*$")


def did_you_mean(name: str, choices: list[str]) -> str:
    """Return " did you mean 'x'?" for the closest choice, or "" when nothing is close."""
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f" did you mean '{close[0]}'?" if close else ""


class Registry(Generic[T]):
    """Named objects of one kind (strategies, streams, models, metrics...)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._help: dict[str, str] = {}

    def register(self, name: str, help: str | None = None) -> Callable[[T], T]:
        """Decorator that registers an object under `name` (lowercase, `-` or `_` allowed)."""
        if not _NAME.match(name):
            raise ValueError(f"{self.kind} name {name!r} must be lowercase letters, digits, - or _")

        def decorate(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = obj
            doc = help or (getattr(obj, "__doc__", None) or "").strip().splitlines()
            self._help[name] = doc if isinstance(doc, str) else (doc[0] if doc else "")
            return obj

        return decorate

    def get(self, name: str) -> T:
        """The object registered as `name`; a ForgetlabError with a suggestion otherwise."""
        try:
            return self._items[name]
        except KeyError:
            hint = did_you_mean(name, self.names()) or " choose one of: " + ", ".join(self.names())
            raise ForgetlabError(f"unknown {self.kind} {name!r};{hint}") from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def in_order(self) -> list[str]:
        """Names in registration order (where the order matters, e.g. observers)."""
        return list(self._items)

    def help(self, name: str) -> str:
        return self._help.get(name, "")

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)
