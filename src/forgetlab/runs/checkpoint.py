"""Checkpoints hold only what trained: the learner's parameters that trained in some stage
(safetensors).

Everything else (frozen backbone weights, untrained heads of future tasks) is rebuilt
deterministically from the spec, so `load_trainable(build_learner(spec, stream), dir)`
restores the learner exactly. peft-wrapped backbones are also saved with peft's own
`save_pretrained` (adapter/, safetensors), for use outside forgetlab.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from forgetlab.errors import RunDirError

WEIGHTS = "trainable.safetensors"


def trainable_state(learner, names: frozenset[str] | None = None) -> dict[str, torch.Tensor]:
    """The parameters called `names` (default: those with requires_grad), on the CPU."""
    return {
        name: p.detach().to("cpu").contiguous()
        for name, p in learner.named_parameters()
        if (p.requires_grad if names is None else name in names)
    }


def save_trainable(learner, folder: Path, manifest: dict, names=None) -> None:
    """Write trainable.safetensors (the parameters `names`, default: those with
    requires_grad), manifest.json and (for peft models) adapter/."""
    folder.mkdir(parents=True, exist_ok=True)
    state = trainable_state(learner, names)
    save_file(state, str(folder / WEIGHTS))
    if hasattr(learner.backbone, "peft_config"):
        learner.backbone.save_pretrained(str(folder / "adapter"), safe_serialization=True)
    manifest = {
        **manifest,
        "tensors": len(state),
        "parameters": sum(t.numel() for t in state.values()),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def load_trainable(learner, folder: Path) -> None:
    """Load a checkpoint into a learner built from the same spec; refuses partial matches."""
    path = Path(folder) / WEIGHTS
    if not path.is_file():
        raise RunDirError(f"checkpoint {str(folder)!r} has no {WEIGHTS}")
    try:
        state = load_file(str(path))
    except Exception as e:  # noqa: BLE001  safetensors raises its own error types
        raise RunDirError(f"checkpoint {str(path)!r} cannot be read: {e}") from None
    params = dict(learner.named_parameters())
    unknown = sorted(set(state) - set(params))
    if unknown:
        raise RunDirError(f"checkpoint {str(path)!r} has weights the model lacks: {unknown[:3]}")
    with torch.no_grad():
        for name, tensor in state.items():
            if params[name].shape != tensor.shape:
                raise RunDirError(
                    f"checkpoint {str(path)!r}: {name} has shape {tuple(tensor.shape)}, "
                    f"the model {tuple(params[name].shape)}"
                )
            params[name].copy_(tensor)
