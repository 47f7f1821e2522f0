"""Hidden states of a backbone's forward: whether it has per-layer states, and a context that
captures them from a forward someone else runs (the evaluation pass gives probes their test
features for free)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager


def has_layer_states(backbone) -> bool:
    """Whether the backbone's forward takes `output_hidden_states` (transformers models)."""
    params = inspect.signature(backbone.forward).parameters.values()
    return any(p.name == "output_hidden_states" or p.kind is p.VAR_KEYWORD for p in params)


@contextmanager
def capture_hidden(backbone) -> Iterator[list]:
    """While active, every forward of `backbone` also returns its hidden states, and they are
    appended to the yielded list (a tuple per call; just the last state for a backbone
    without per-layer states). The caller pops them."""
    captured: list = []
    inject = has_layer_states(backbone)

    def pre(module, args, kwargs):
        if inject:
            kwargs["output_hidden_states"] = True
        return args, kwargs

    def post(module, args, kwargs, output):
        states = getattr(output, "hidden_states", None)
        captured.append(tuple(states) if states else (output.last_hidden_state,))

    handles = [
        backbone.register_forward_pre_hook(pre, with_kwargs=True),
        backbone.register_forward_hook(post, with_kwargs=True),
    ]
    try:
        yield captured
    finally:
        for h in handles:
            h.remove()
