"""What the peft-backed methods share: wrapping the backbone and turning peft's errors into
one-line MethodErrors."""

from __future__ import annotations

from forgetlab.methods.base import MethodError


def task_type(mode: str) -> str:
    return "CAUSAL_LM" if mode == "text_to_text" else "FEATURE_EXTRACTION"


def wrap(backbone, config):
    """`peft.get_peft_model`, with peft's ValueErrors (unknown targets...) as MethodErrors."""
    from peft import get_peft_model

    try:
        return get_peft_model(backbone, config)
    except (ValueError, TypeError, NotImplementedError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise MethodError(f"method {config.peft_type.value.lower()}: {first}") from None


def check_targets(backbone, targets: list[str] | None, peft_kind: str, kind: str) -> None:
    """Every named target module must exist (suffix match on qualified names, as peft does);
    with none named, peft must have a default for the model type."""
    if not targets:
        check_default_targets(backbone, peft_kind, kind)
        return
    names = [n for n, _ in backbone.named_modules()]
    missing = [t for t in targets if not any(n == t or n.endswith("." + t) for n in names)]
    if missing:
        leaves = sorted({n.rsplit(".", 1)[-1] for n in names if n} - {str(i) for i in range(999)})
        raise MethodError(
            f"method.target_modules: {kind} target {missing} not found in "
            f"{type(backbone).__name__} (its modules include {', '.join(leaves[:12])}...)"
        )


def check_default_targets(backbone, peft_kind: str, label: str) -> None:
    """Without explicit target modules peft needs a default for the model type."""
    from peft.utils import constants

    table = getattr(constants, f"TRANSFORMERS_MODELS_TO_{peft_kind.upper()}_TARGET_MODULES_MAPPING")
    model_type = getattr(getattr(backbone, "config", None), "model_type", None)
    if model_type not in table:
        raise MethodError(
            f"method.target_modules: peft has no default {label} targets for "
            f"{type(backbone).__name__} (model type {model_type!r}); name the modules to adapt"
        )


def default_targets(backbone, peft_kind: str) -> list[str]:
    """peft's default target modules for the backbone's model type."""
    from peft.utils import constants

    table = getattr(constants, f"TRANSFORMERS_MODELS_TO_{peft_kind.upper()}_TARGET_MODULES_MAPPING")
    model_type = getattr(getattr(backbone, "config", None), "model_type", None)
    return list(table[model_type])


def add_task_adapter(learner, name: str, r: int, alpha: float, targets: list[str] | None) -> None:
    """Give the learner's backbone one more LoRA adapter called `name` (wrapping it with peft
    on the first call), for strategies that keep one adapter per task (branch, olora)."""
    from peft import LoraConfig, get_peft_model

    cfg = LoraConfig(
        task_type=task_type(learner.mode), r=r, lora_alpha=alpha, target_modules=targets
    )
    if hasattr(learner.backbone, "peft_config"):
        learner.backbone.add_adapter(name, cfg)
    else:
        learner.backbone = get_peft_model(learner.backbone, cfg, adapter_name=name)
