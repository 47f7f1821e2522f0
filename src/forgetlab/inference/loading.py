"""What `forgetlab infer` reads: JSONL example files, a model by name, a peft adapter.

    items = read_examples(Path("suspect.jsonl"), labelled=False)     # texts
    model, tokenizer = load_model("tiny-gpt2", adapter=None, init_seed=0)

Models are whatever `forgetlab.models.zoo.load` accepts (registered name, local directory,
hub id). Encoders need a classification head: a directory or hub id of a transformers
`...ForSequenceClassification`. Random-init registered models are built under `init_seed`
(the seed of the run that trained them), in a forked RNG, so the global RNG is untouched.
"""

from __future__ import annotations

import json
from pathlib import Path

from forgetlab.errors import DataError, ForgetlabError


def read_examples(path: Path, labelled: bool) -> list:
    """Texts (or (text, label) pairs when `labelled`) of a JSONL file with a `text` field."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{str(path)!r} does not exist")
    items = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise DataError(f"{str(path)!r} is not UTF-8 text") from None
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise DataError(f"{path}:{lineno}: not JSON ({e.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise DataError(f"{path}:{lineno}: expected an object with a string 'text' field")
        if not row["text"].strip():
            raise DataError(f"{path}:{lineno}: empty text")
        if labelled:
            if "label" not in row:
                raise DataError(f"{path}:{lineno}: a classifier needs a 'label' field")
            items.append((row["text"], row["label"]))
        else:
            items.append(row["text"])
    if not items:
        raise DataError(f"{str(path)!r} has no examples")
    return items


def _classifier_source(name: str, spec) -> str:
    """The path or hub id of a sequence classifier, or a one-line error."""
    from forgetlab.models.zoo import describe

    _, where = describe(spec)
    if where != "registered":
        from transformers import AutoConfig

        try:
            archs = AutoConfig.from_pretrained(name).architectures or []
        except OSError as e:
            raise ForgetlabError(f"cannot load model {name!r}: {str(e).splitlines()[0]}") from None
        if any(a.endswith("ForSequenceClassification") for a in archs):
            return name
    raise ForgetlabError(
        f"model {name!r} is an encoder without a classification head: dataset inference on "
        "encoders needs a fine-tuned sequence classifier (a directory saved from "
        "AutoModelForSequenceClassification), or a forgetlab learner through "
        "forgetlab.inference.membership_test"
    )


def model_mode(name: str) -> str:
    """'classifier' or 'causal' for a model name, without loading weights; a name that is
    unknown, or an encoder without a classification head, is a one-line error."""
    from forgetlab.models.zoo import describe
    from forgetlab.spec.experiment import ModelSpec

    spec = ModelSpec(name=name)
    if describe(spec)[0] == "classifier":
        _classifier_source(name, spec)
        return "classifier"
    return "causal"


def load_model(name: str, adapter: Path | None = None, init_seed: int = 0):
    """(model, tokenizer) of a causal LM or sequence classifier, with a peft adapter on top."""
    import torch

    from forgetlab.models.zoo import describe, load
    from forgetlab.spec.experiment import ModelSpec

    spec = ModelSpec(name=name)
    mode, _ = describe(spec)  # unknown names and missing directories fail here
    if mode == "classifier":
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        source = _classifier_source(name, spec)
        model = AutoModelForSequenceClassification.from_pretrained(source)
        tokenizer = AutoTokenizer.from_pretrained(source)
    else:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(init_seed)
            model, tokenizer, mode = load(spec)
        if mode == "classifier":  # a hub id resolved to an encoder
            raise ForgetlabError(f"model {name!r} is not a causal LM; see forgetlab infer --help")
    if adapter is not None:
        model = _with_adapter(model, Path(adapter))
    return model.eval(), tokenizer


def check_adapter(adapter: Path) -> Path:
    """`adapter` if it is a peft adapter directory, else a one-line error."""
    adapter = Path(adapter)
    if not (adapter / "adapter_config.json").is_file():
        raise ForgetlabError(f"adapter {str(adapter)!r} has no adapter_config.json")
    return adapter


def _with_adapter(model, adapter: Path):
    check_adapter(adapter)
    from peft import PeftModel

    try:
        return PeftModel.from_pretrained(model, str(adapter))
    except (ValueError, KeyError, RuntimeError, OSError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ForgetlabError(f"adapter {str(adapter)!r} does not fit the model: {first}") from None
