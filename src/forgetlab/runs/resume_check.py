"""Resuming a run: the saved spec and data hashes must still describe the experiment."""

from __future__ import annotations

from forgetlab.errors import RunDirError
from forgetlab.spec import ExperimentSpec


def check_same_experiment(payload: dict, spec: ExperimentSpec, task_hashes: dict) -> None:
    """RunDirError when spec.toml or the data no longer describe the saved state."""
    saved = payload.get("spec")
    if saved is not None:
        now = spec.model_dump(mode="json")
        changed = _first_difference(saved, now)
        if changed is not None:
            raise RunDirError(
                f"cannot resume: spec.toml changed since the run started ({changed}); "
                "restore it or start a new run"
            )
    for name, h in (payload.get("task_hashes") or {}).items():
        if task_hashes.get(name) != h:
            raise RunDirError(
                f"cannot resume: the data of task {name!r} changed since the run started"
            )


def _first_difference(a, b, path: str = "") -> str | None:
    """The dotted path of the first field where two JSON trees differ, or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            d = _first_difference(a.get(key), b.get(key), f"{path}.{key}" if path else key)
            if d is not None:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            d = _first_difference(x, y, f"{path}.{i}")
            if d is not None:
                return d
        return None
    return None if a == b else f"{path or 'spec'}: {a!r} -> {b!r}"
