"""The state a killed run needs to go on from its last finished stage, written atomically.

DIR/resume/LATEST                  name of the newest complete state folder
DIR/resume/stage-003/state.json    stage, results so far, strategy state tree, file hashes
DIR/resume/stage-003/params.safetensors      every parameter that trained in any stage so far
DIR/resume/stage-003/strategies.safetensors  tensors of the strategies' fitted state

A state folder is written under a temporary name, fsynced and renamed; then LATEST is
replaced atomically; then older folders are removed. A kill at any point leaves either the
previous state or the new one. Stage RNGs are derived from (seed, stage), and optimizers live
for one stage, so weights + strategy and observer state + the records so far are all a
stage needs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from forgetlab.errors import RunDirError
from forgetlab.fileio import atomic_write
from forgetlab.runs import state_codec

RESUME = "resume"
LATEST = "LATEST"
PARAMS = "params.safetensors"
STRATEGIES = "strategies.safetensors"
STATE = "state.json"


@dataclass(frozen=True)
class ResumeState:
    stage: int  # the last finished stage
    payload: dict  # the run's records so far (JSON), as given to `save`
    params: dict[str, torch.Tensor]
    touched: list[str]  # parameters that trained in any stage so far
    strategies: list[dict]  # one decoded fitted-state dict per strategy


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save(root: Path, stage: int, learner, touched: set[str], strategies, payload: dict) -> None:
    """Write the state after `stage`; the previous state stays valid until this one is."""
    base = Path(root) / RESUME
    base.mkdir(parents=True, exist_ok=True)
    name = f"stage-{stage:03d}"
    tmp = base / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    named = dict(learner.named_parameters())
    params = {n: named[n].detach().to("cpu").contiguous().clone() for n in sorted(touched)}
    save_file(params, str(tmp / PARAMS))
    trees, tensors = [], {}
    for i, st in enumerate(strategies):
        state = {k: v for k, v in st.fitted_state().items() if k not in st.transient}
        trees.append(state_codec.encode(state, tensors, f"s{i}"))
    save_file(tensors, str(tmp / STRATEGIES))
    doc = {
        "stage": stage,
        "touched": sorted(touched),
        "strategies": trees,
        "payload": payload,
        "sha256": {f: _sha256(tmp / f) for f in (PARAMS, STRATEGIES)},
    }
    (tmp / STATE).write_text(json.dumps(doc))
    for f in (PARAMS, STRATEGIES, STATE):
        with open(tmp / f, "rb") as fh:
            os.fsync(fh.fileno())
    final = base / name
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    _fsync_dir(base)
    atomic_write(base / LATEST, name + "\n")
    for old in base.iterdir():
        if old.name not in (name, LATEST):
            shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink()


def load(root: Path) -> ResumeState | None:
    """The newest complete state of the run in `root`, or None if no stage finished."""
    base = Path(root) / RESUME
    latest = base / LATEST
    if not latest.exists():
        return None
    if not latest.is_file():
        raise RunDirError(f"resume pointer {str(latest)!r} is not a file")
    try:
        name = latest.read_text().strip()
    except (OSError, UnicodeDecodeError):
        raise RunDirError(f"resume pointer {str(latest)!r} cannot be read") from None
    if not name or "/" in name or name.startswith("."):
        raise RunDirError(f"resume pointer {str(latest)!r} does not name a state folder")
    folder = base / name
    state_path = folder / STATE
    if not state_path.is_file():
        raise RunDirError(f"resume state {str(state_path)!r} is missing")
    try:
        doc = json.loads(state_path.read_text())
        keys = ("stage", "payload", "touched", "strategies", "sha256")
        if not isinstance(doc, dict) or any(k not in doc for k in keys):
            raise ValueError
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        raise RunDirError(f"resume state {str(state_path)!r} is truncated or corrupt") from None
    for f in (PARAMS, STRATEGIES):
        path = folder / f
        if not path.is_file():
            raise RunDirError(f"resume file {str(path)!r} is missing")
        if _sha256(path) != doc["sha256"].get(f):
            raise RunDirError(f"resume file {str(path)!r} is truncated or corrupt (hash differs)")
    try:
        params = load_file(str(folder / PARAMS))
        tensors = load_file(str(folder / STRATEGIES))
    except (SafetensorError, OSError) as e:
        raise RunDirError(f"resume files in {str(folder)!r} cannot be read: {e}") from None
    return ResumeState(
        stage=doc["stage"],
        payload=doc["payload"],
        params=params,
        touched=doc["touched"],
        strategies=[state_codec.decode(t, tensors) for t in doc["strategies"]],
    )


def restore_weights(state: ResumeState, learner) -> None:
    """Put the trained weights back into a learner built from the spec (after the strategies
    have rebuilt any modules their state implies, e.g. per-task adapters)."""
    named = dict(learner.named_parameters())
    missing = sorted(set(state.params) - set(named))
    if missing:
        raise RunDirError(f"resume state has weights the model lacks: {missing[:3]}")
    with torch.no_grad():
        for n, t in state.params.items():
            if named[n].shape != t.shape:
                raise RunDirError(
                    f"resume state: {n} has shape {tuple(t.shape)}, the model "
                    f"{tuple(named[n].shape)} (did the model spec change?)"
                )
            named[n].copy_(t.to(named[n].device))


def clear(root: Path) -> None:
    """Remove the resume state of a finished run."""
    shutil.rmtree(Path(root) / RESUME, ignore_errors=True)
