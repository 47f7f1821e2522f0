"""Files of a pretraining run: checkpoints (Hugging Face directories) and the resume state.

save_checkpoint(root, model, tokenizer, info)     # checkpoints/tokens-<N>/ + pretrain.json
save_resume(root, model, optimizer, scheduler, record)
record = load_resume(root, model, optimizer, scheduler)   # weights and states restored in place

The resume state is resume/state.safetensors (weights under `model.`, optimizer tensors under
`opt.`) and resume/state.json (the optimizer's and scheduler's other fields, the run's
records). No pickle. Both files carry the step; a mismatch (a kill between the two writes) is
refused, and the JSON is written last.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from forgetlab.errors import RunDirError
from forgetlab.fileio import atomic_write
from forgetlab.pretrain.ladder import CHECKPOINTS, INFO, checkpoint_dirname
from forgetlab.runs.state_codec import decode, encode

RESUME = "resume"
STATE_TENSORS = "state.safetensors"
STATE_JSON = "state.json"


def save_checkpoint(root: Path, model, tokenizer, info: dict) -> Path:
    """Write checkpoints/tokens-<N>/ (safetensors, config, tokenizer, pretrain.json) through a
    hidden temporary folder renamed into place."""
    final = root / CHECKPOINTS / checkpoint_dirname(info["tokens"])
    tmp = final.with_name(f".{final.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model.save_pretrained(str(tmp))
    tokenizer.save_pretrained(str(tmp))
    (tmp / INFO).write_text(json.dumps(info, indent=2) + "\n")
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    return final


def save_resume(root: Path, model, optimizer, scheduler, record: dict) -> None:
    """The state after `record["step"]` optimizer steps (module docstring)."""
    step = str(record["step"])
    tensors = {
        f"model.{n}": p.detach().to("cpu").contiguous().clone() for n, p in model.named_parameters()
    }
    opt_tree, opt_tensors = encode(optimizer.state_dict())
    sched_tree, sched_tensors = encode(scheduler.state_dict())
    if sched_tensors:
        raise RunDirError("scheduler state holds tensors; cannot store it")
    tensors.update({f"opt.{k}": v for k, v in opt_tensors.items()})
    folder = root / RESUME
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{STATE_TENSORS}.tmp"
    save_file(tensors, str(tmp), metadata={"step": step})
    os.replace(tmp, folder / STATE_TENSORS)
    doc = {"step": record["step"], "optimizer": opt_tree, "scheduler": sched_tree, "record": record}
    atomic_write(folder / STATE_JSON, json.dumps(doc) + "\n")


def has_resume(root: Path) -> bool:
    return (root / RESUME / STATE_JSON).is_file() and (root / RESUME / STATE_TENSORS).is_file()


def load_resume(root: Path, model, optimizer, scheduler) -> dict:
    """Restore weights, optimizer and scheduler in place; return the saved record."""
    folder = root / RESUME
    try:
        doc = json.loads((folder / STATE_JSON).read_text())
        with safe_open(str(folder / STATE_TENSORS), framework="pt") as f:
            step = (f.metadata() or {}).get("step")
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except (OSError, ValueError, json.JSONDecodeError) as e:
        raise RunDirError(f"resume state in {str(folder)!r} cannot be read: {e}") from None
    if step != str(doc.get("step")):
        raise RunDirError(
            f"resume state in {str(folder)!r} is torn (weights at step {step}, "
            f"record at step {doc.get('step')}); start the run again"
        )
    params = dict(model.named_parameters())
    missing = sorted(set(params) - {k[6:] for k in tensors if k.startswith("model.")})
    if missing:
        raise RunDirError(f"resume state in {str(folder)!r} lacks weights {missing[:3]}")
    with torch.no_grad():
        for name, p in params.items():
            p.copy_(tensors[f"model.{name}"])
    opt = {k[4:]: v for k, v in tensors.items() if k.startswith("opt.")}
    optimizer.load_state_dict(decode(doc["optimizer"], opt))
    scheduler.load_state_dict(decode(doc["scheduler"], {}))
    return doc["record"]


def drop_resume(root: Path) -> None:
    shutil.rmtree(root / RESUME, ignore_errors=True)
