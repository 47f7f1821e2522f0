"""Checkpoints of a pretraining run, picked by tokens seen (no torch here: model loading and
the sweep report call it).

    checkpoints(Path("ladder/gpt2-1m"))                  # [LadderCheckpoint(tokens=0, ...), ...]
    select(Path("ladder/gpt2-1m"), "tokens=200000")      # the nearest checkpoint by tokens
    resolve_model("ladder/gpt2-1m", "step1000")          # ("ladder/.../tokens-...", None)
    pretraining_info("EleutherAI/pythia-70m", "step1000")   # {"pretrain_tokens": 2097152000, ...}

A run directory holds `checkpoints/tokens-<N>/`, each an ordinary Hugging Face model
directory plus `pretrain.json`. As `model.name`, the run directory stands for its last
checkpoint (an error while the run is unfinished: a killed or still-running run would
otherwise hand over a partly pretrained model); `model.revision` picks another: `tokens=N`
(the nearest count of tokens seen), `stepN` or `step=N` (the nearest optimizer step, like
Pythia's revisions), `last`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from forgetlab.errors import SpecError

CHECKPOINTS = "checkpoints"
INFO = "pretrain.json"
_REVISION = re.compile(r"^(tokens|step)[=\-]?([0-9][0-9_]*)$")
# Pythia checkpoints: 1024 sequences of 2048 tokens per step (Biderman et al. 2023).
PYTHIA_TOKENS_PER_STEP = 2_097_152


@dataclass(frozen=True)
class LadderCheckpoint:
    tokens: int
    step: int
    path: Path
    info: dict


def checkpoint_dirname(tokens: int) -> str:
    return f"tokens-{tokens:012d}"


def is_ladder(path: Path) -> bool:
    """A pretraining run directory (checkpoints/ and no model of its own)."""
    return (path / CHECKPOINTS).is_dir() and not (path / "config.json").is_file()


def checkpoints(path: Path) -> list[LadderCheckpoint]:
    """The finished checkpoints of a run, by tokens seen (half-written ones are hidden)."""
    found = []
    for folder in sorted((Path(path) / CHECKPOINTS).glob("tokens-*")):
        info_file = folder / INFO
        if not info_file.is_file():
            continue
        try:
            info = json.loads(info_file.read_text())
            found.append(LadderCheckpoint(int(info["tokens"]), int(info["step"]), folder, info))
        except (ValueError, KeyError, TypeError):
            raise SpecError(f"checkpoint {str(folder)!r}: {INFO} is not readable") from None
    return sorted(found, key=lambda c: c.tokens)


def _check_finished(path: Path, tokens: int) -> None:
    """The last checkpoint of a run still training (or killed) is not its final model: say so
    instead of silently fine-tuning a partly pretrained one."""
    try:
        status = json.loads((path / "results.json").read_text()).get("status")
    except (OSError, ValueError, AttributeError):
        return  # a bare folder of checkpoints (copied, or from an older forgetlab)
    if status not in (None, "complete"):
        raise SpecError(
            f"model.name: pretraining run {str(path)!r} is not finished (status {status!r}; "
            f"last checkpoint at {tokens:,} tokens): wait for it, resume it with `forgetlab "
            f"pretrain --resume {path}`, or pick that checkpoint with "
            f'model.revision = "tokens={tokens}"'
        )


def select(path: Path, revision: str | None) -> LadderCheckpoint:
    """The checkpoint `revision` names (module docstring); SpecError naming the choices."""
    found = checkpoints(path)
    if not found:
        raise SpecError(f"model.name: pretraining run {str(path)!r} has no checkpoint yet")
    if revision is None or revision in ("last", "final", "main"):
        _check_finished(Path(path), found[-1].tokens)
        return found[-1]
    m = _REVISION.match(revision.strip().replace(" ", ""))
    if m is None:
        counts = ", ".join(str(c.tokens) for c in found)
        raise SpecError(
            f"model.revision: {revision!r} is not a checkpoint of {str(path)!r}; use "
            f"tokens=N, stepN or last (it has tokens {counts})"
        )
    want = int(m.group(2).replace("_", ""))
    key = (lambda c: c.tokens) if m.group(1) == "tokens" else (lambda c: c.step)
    return min(found, key=lambda c: (abs(key(c) - want), key(c)))


def resolve_model(name: str, revision: str | None) -> tuple[str, str | None]:
    """(name, revision) to hand to transformers: a pretraining run becomes the directory of
    the chosen checkpoint (no revision); anything else is unchanged."""
    path = Path(name).expanduser()
    if path.is_dir() and is_ladder(path):
        return str(select(path, revision).path), None
    return name, revision


def pretraining_info(name: str, revision: str | None) -> dict:
    """What is known of a model's pretraining: tokens seen, step, the checkpoint used.
    Local forgetlab checkpoints read pretrain.json; Pythia's `stepN` revisions count
    2,097,152 tokens per step; otherwise the values are None."""
    path = Path(name).expanduser()
    folder = None
    if path.is_dir() and is_ladder(path):
        folder = select(path, revision).path
    elif (path / INFO).is_file():
        folder = path
    if folder is not None:
        info = json.loads((folder / INFO).read_text())
        return {
            "pretrain_tokens": int(info["tokens"]),
            "pretrain_step": int(info["step"]),
            "checkpoint": str(folder),
        }
    m = _REVISION.match(revision or "")
    if "pythia" in name.lower() and m is not None and m.group(1) == "step":
        step = int(m.group(2).replace("_", ""))
        return {
            "pretrain_tokens": step * PYTHIA_TOKENS_PER_STEP,
            "pretrain_step": step,
            "checkpoint": None,
        }
    return {"pretrain_tokens": None, "pretrain_step": None, "checkpoint": None}
