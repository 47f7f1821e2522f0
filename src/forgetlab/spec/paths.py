"""Set a dotted path in a spec dict: the one rule `--set` and sweep axes share.

set_path(data, "train.lr", 3e-5)
set_path(data, "transform.1.factor", 3)     # list items by index
set_path(data, "strategy.lambda_", 5.0)     # through a single-item list (or one table)
"""

from __future__ import annotations

import copy
from typing import Any

from forgetlab.errors import SpecError


def _index(part: str, items: list, path: str) -> int:
    if not part.isdigit():
        raise SpecError(f"{path}: {part!r} is not a list index")
    i = int(part)
    if i >= len(items):
        raise SpecError(f"{path}: index {i} is past the end (the list has {len(items)} items)")
    return i


def set_path(data: dict, path: str, value: Any) -> None:
    """Set the dotted `path` in a spec dict (in place), creating missing tables."""
    parts = path.split(".")
    node: Any = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            i = _index(part, node, where)
            if last:
                node[i] = copy.deepcopy(value)
                return
            node = node[i]
            continue
        if not isinstance(node, dict):
            raise SpecError(f"{path}: {'.'.join(parts[:depth])} is not a table or a list")
        if last:
            node[part] = copy.deepcopy(value)
            return
        child = node.get(part)
        nxt = parts[depth + 1]
        if isinstance(child, dict) and nxt.isdigit() and nxt not in child:
            child = node[part] = [child]  # a single [strategy] table is a one-item list
        if isinstance(child, list) and not nxt.isdigit():
            if len(child) != 1:
                raise SpecError(f"{path}: {where} has {len(child)} items; name one ({where}.0...)")
            child = child[0]  # strategy.x on a single strategy
        if child is None and nxt.isdigit():
            raise SpecError(f"{path}: the base has no {where} list to index")
        if child is None:
            child = node[part] = {}
        node = child
