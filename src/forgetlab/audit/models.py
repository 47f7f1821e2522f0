"""The two models an audit compares, loaded as plain causal LMs (adapters merged).

A model is named like `model.name` in a spec (a registered name, a local Hugging Face
directory or a hub id), or is a forgetlab run directory: the run's model with the trainable
weights of its last checkpoint (`checkpoints/<stage>/trainable.safetensors`). When TUNED is a
run and BASE names the run's own model, the base is built from the run's spec (same seed and
config), so a random-init tiny model audits against its own initial weights. `--adapter DIR`
applies a peft adapter folder (e.g. a run's `checkpoints/last/adapter`) to TUNED (or to
BASE when TUNED is not given). peft adapters (LoRA, IA3) are merged into the weights, so
both models have the same parameter names; prompt and prefix tuning cannot be merged.
Registered random-init models are built with `seed`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forgetlab.errors import ForgetlabError, SpecError


@dataclass
class AuditModel:
    label: str  # what the user named
    backbone: Any  # a causal LM (transformers), adapters merged
    tokenizer: Any
    info: dict = field(default_factory=dict)


def is_run_dir(path: str | Path) -> bool:
    p = Path(path)
    return (p / "spec.toml").is_file() and (p / "checkpoints").is_dir()


def merged(backbone, what: str):
    """A peft-wrapped model with its adapters merged into the weights (others unchanged)."""
    if not hasattr(backbone, "peft_config"):
        return backbone
    if not hasattr(backbone, "merge_and_unload"):
        raise ForgetlabError(f"audit: {what}'s peft method (prompt/prefix) cannot be merged")
    return backbone.merge_and_unload()


def _require_causal(mode: str, label: str) -> None:
    if mode != "text_to_text":
        raise SpecError(f"audit: {label!r} is not a causal LM ({mode}); audit compares causal LMs")


def load_named(name: str, seed: int) -> AuditModel:
    import torch

    from forgetlab.models.zoo import load
    from forgetlab.spec import ModelSpec

    torch.manual_seed(seed)  # a registered random-init model: the same weights for a seed
    backbone, tokenizer, mode = load(ModelSpec(name=name))
    _require_causal(mode, name)
    return AuditModel(name, backbone, tokenizer, {"name": name, "source": "model", "seed": seed})


def load_run(run_dir: Path) -> tuple[AuditModel, AuditModel]:
    """(the run's initial model, the run's model after its last checkpoint)."""
    from forgetlab.models import build_learner
    from forgetlab.probing.offline import checkpoint_stages
    from forgetlab.runs.checkpoint import load_trainable
    from forgetlab.spec import load_spec
    from forgetlab.streams import build_experiment_stream

    spec = load_spec(run_dir / "spec.toml")
    ckpts = checkpoint_stages(run_dir)
    if not ckpts:
        raise SpecError(f"audit: run {str(run_dir)!r} has no checkpoint (train.checkpoint)")
    stage, folder = ckpts[-1]
    stream = build_experiment_stream(spec)
    initial = build_learner(spec, stream)
    _require_causal(initial.mode, str(run_dir))
    tuned = build_learner(spec, stream)
    load_trainable(tuned, folder)
    info = {"name": spec.model.name, "run": str(run_dir), "seed": spec.seed}
    notes = []
    if spec.method.kind == "head":
        notes.append("method 'head' trains a delta on the LM head's label rows outside the model")
    base = AuditModel(spec.model.name, merged(initial.backbone, "the run"), initial.tokenizer)
    base.info = {**info, "source": "run's initial model"}
    tuned_model = AuditModel(str(run_dir), merged(tuned.backbone, "the run"), tuned.tokenizer)
    tuned_model.info = {
        **info,
        "source": "run checkpoint",
        "checkpoint": str(folder),
        "stage": stage,
        "method": spec.method.kind,
        "notes": notes,
    }
    return base, tuned_model


def apply_adapter(model: AuditModel, adapter: Path) -> AuditModel:
    from peft import PeftModel

    if not (Path(adapter) / "adapter_config.json").is_file():
        raise SpecError(f"--adapter: {str(adapter)!r} is not a peft adapter folder")
    wrapped = PeftModel.from_pretrained(model.backbone, str(adapter))
    info = {**model.info, "adapter": str(adapter)}
    return AuditModel(
        f"{model.label} + {adapter}", merged(wrapped, "the adapter"), model.tokenizer, info
    )


def load_pair(
    base: str, tuned: str | None, adapter: str | None, seed: int, dtype: str = "float32"
) -> tuple[AuditModel, AuditModel]:
    """(base, tuned) as described in the module docstring, their weights cast to `dtype`
    (bfloat16 halves the memory of large models; losses are computed in float32)."""
    if tuned is None and adapter is None:
        raise SpecError("audit: give TUNED (a model or run directory), or --adapter DIR")
    if tuned is not None and is_run_dir(tuned):
        run_base, run_tuned = load_run(Path(tuned))
        base_model = run_base if base == run_base.info["name"] else load_named(base, seed)
        tuned_model = run_tuned
    else:
        base_model = load_named(base, seed)
        tuned_model = load_named(tuned or base, seed)
    if adapter is not None:
        tuned_model = apply_adapter(tuned_model, Path(adapter))
    if dtype != "float32":
        import torch

        for m in (base_model, tuned_model):
            m.backbone.to(getattr(torch, dtype))
    return base_model, tuned_model
