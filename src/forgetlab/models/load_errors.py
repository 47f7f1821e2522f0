"""One-line errors for what transformers raises while loading a model (hub unreachable,
custom code, pickle-only weights)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from forgetlab.errors import ForgetlabError

if TYPE_CHECKING:
    from forgetlab.spec import ModelSpec


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


OFFLINE_HELP = (
    "a run needs network access to the Hugging Face hub, a cache that already holds the model "
    "(HF_HOME, filled with `huggingface-cli download NAME` where there is network), or a "
    "local directory as model.name"
)


def _offline(reason: str) -> bool:
    """Whether transformers failed because the hub could not be reached (or is switched off)."""
    text = reason.lower()
    return any(
        k in text
        for k in ("offline", "couldn't connect", "could not connect", "connection", "cached")
    )


def load_failure(spec: ModelSpec, e: BaseException) -> ForgetlabError:
    """One line for what transformers raised while loading `spec.name`."""
    reason = _first_line(e)
    if _offline(reason):
        return ForgetlabError(
            f"cannot load model {spec.name!r}: it is not in the Hugging Face cache and the hub "
            f"cannot be reached; {OFFLINE_HELP}"
        )
    if "custom code" in reason or "trust_remote_code" in reason:
        reason = (
            "it needs custom code, which runs only with model.trust_remote_code = true; set it "
            "only if you trust that code"
        )
    elif "safetensors" in reason and not spec.allow_pickle:
        reason += " (pickle weights are loaded only with model.allow_pickle = true)"
    return ForgetlabError(f"cannot load model {spec.name!r}: {reason}")
