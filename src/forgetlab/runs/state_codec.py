"""Turn fitted strategy state into JSON plus a flat dict of tensors (safetensors), and back.

    tree, tensors = encode({"terms_": [(imp, anchor)], "rng_": random.Random(0)})
    state = decode(tree, tensors)        # equal values, tensors on the CPU

Only a closed set of types is accepted: JSON scalars, lists, tuples, dicts, tensors,
`random.Random` (its state), the dataclasses `Example` and `Encoded`, and `ReplayMemory`.
Anything else (a model copy, a lambda) is refused by name, so a strategy cannot silently
lose state on resume. Nothing is ever unpickled.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import torch

from forgetlab.models.learner import Encoded
from forgetlab.strategies.buffers import ReplayMemory
from forgetlab.streams.task import Example

_DATACLASSES = {"Example": Example, "Encoded": Encoded}


class UnsupportedState(TypeError):
    """A value the codec cannot store (the message names where it is)."""


def _tuples_to_lists(x: Any) -> Any:
    return [_tuples_to_lists(v) for v in x] if isinstance(x, (tuple, list)) else x


def _lists_to_tuples(x: Any) -> Any:
    return tuple(_lists_to_tuples(v) for v in x) if isinstance(x, list) else x


def encode(obj: Any, tensors: dict[str, torch.Tensor] | None = None, path: str = "") -> Any:
    """A JSON tree for `obj`; tensors go into `tensors` under their path."""
    if tensors is None:
        tensors = {}
        return encode(obj, tensors, path), tensors
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, torch.Tensor):
        tensors[path] = obj.detach().to("cpu").contiguous().clone()
        return {"__tensor__": path, "device": obj.device.type}
    if isinstance(obj, (list, tuple)):
        items = [encode(v, tensors, f"{path}.{i}") for i, v in enumerate(obj)]
        return items if isinstance(obj, list) else {"__tuple__": items}
    if isinstance(obj, dict):
        pairs = [
            [encode(k, tensors, f"{path}[key {i}]"), encode(v, tensors, _child(path, k))]
            for i, (k, v) in enumerate(obj.items())
        ]
        return {"__dict__": pairs}
    if isinstance(obj, random.Random):
        return {"__random__": _tuples_to_lists(obj.getstate())}
    if type(obj).__name__ in _DATACLASSES and dataclasses.is_dataclass(obj):
        fields = {
            f.name: encode(getattr(obj, f.name), tensors, f"{path}.{f.name}")
            for f in dataclasses.fields(obj)
        }
        return {"__dataclass__": type(obj).__name__, "fields": fields}
    if isinstance(obj, ReplayMemory):
        return {
            "__memory__": {
                "capacity": obj.capacity,
                "policy": obj.policy,
                "seen": obj.seen,
                "items": encode(obj.items, tensors, f"{path}.items"),
            }
        }
    raise UnsupportedState(f"{path or 'value'}: cannot store a {type(obj).__name__}")


def _child(path: str, key: Any) -> str:
    """Where a dict value sits: `a.b` for string keys, `a[3]` otherwise (unique per dict)."""
    if isinstance(key, str):
        return f"{path}.{key}" if path else key
    return f"{path}[{key!r}]"


def decode(tree: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Inverse of `encode`."""
    if isinstance(tree, list):
        return [decode(v, tensors) for v in tree]
    if not isinstance(tree, dict):
        return tree
    if "__tensor__" in tree:
        t = tensors[tree["__tensor__"]]
        on_gpu = tree.get("device") == "cuda" and torch.cuda.is_available()
        return t.to("cuda") if on_gpu else t
    if "__tuple__" in tree:
        return tuple(decode(v, tensors) for v in tree["__tuple__"])
    if "__dict__" in tree:
        return {_hashable(decode(k, tensors)): decode(v, tensors) for k, v in tree["__dict__"]}
    if "__random__" in tree:
        rng = random.Random()
        rng.setstate(_lists_to_tuples(tree["__random__"]))
        return rng
    if "__dataclass__" in tree:
        cls = _DATACLASSES[tree["__dataclass__"]]
        values = {k: decode(v, tensors) for k, v in tree["fields"].items()}
        if cls is Encoded:
            values["ids"] = tuple(values["ids"])
        return cls(**values)
    if "__memory__" in tree:
        m = tree["__memory__"]
        memory = ReplayMemory(m["capacity"], m["policy"])
        memory.seen = m["seen"]
        memory.items = decode(m["items"], tensors)
        return memory
    raise ValueError(f"unknown state node {sorted(tree)}")


def _hashable(key: Any) -> Any:
    return _lists_to_tuples(key) if isinstance(key, list) else key
