"""Dataset inference entry points: `infer` (files in, a result directory out) and
`membership_test` (a model in memory, numbers out, no I/O: what a per-stage observer calls).

    res = forgetlab.infer("runs/ft/model", suspect="a.jsonl", validation="b.jsonl", out="di")
    res.results["verdict"], res.suspect_features, res.out

    membership_test(learner, None, members=task.train[:200], nonmembers=task.test[:200])
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from forgetlab.errors import DataError, RunDirError
from forgetlab.inference.aggregate import (
    check_settings,
    dataset_inference,
    resolve_sizes,
    split_halves,
)
from forgetlab.inference.perturb import DEFAULT_PERTURBATIONS
from forgetlab.inference.perturb import perturbations as _registry
from forgetlab.inference.scoring import feature_table, mode_of


def _check_perturbations(names: Sequence[str]) -> tuple[str, ...]:
    for name in names:
        _registry.get(name)  # unknown names: one line with a suggestion
    return tuple(names)


def membership_test(
    model,
    tokenizer,
    members: Sequence,
    nonmembers: Sequence,
    *,
    seed: int = 0,
    sizes: Sequence[int] | None = None,
    splits: int = 10,
    alpha: float = 0.05,
    reference: tuple | None = None,
    perturbations: Sequence[str] = DEFAULT_PERTURBATIONS,
    batch_size: int = 16,
    max_length: int = 128,
) -> dict:
    """Was `model` trained on `members`? Dataset inference against `nonmembers` (same
    distribution, never trained on). `model`: a transformers causal LM or sequence classifier
    (with its `tokenizer`), or a forgetlab learner (tokenizer None; Examples as items).
    Returns the JSON-able dict of `aggregate.dataset_inference` plus `mode`; the model's
    train/eval mode is left as it was."""
    perturbations = _check_perturbations(perturbations)
    check_settings(splits, alpha)
    resolve_sizes(sizes, len(members), len(nonmembers))  # fail before any forward pass
    kw = dict(seed=seed, perturbations=perturbations, reference=reference)
    kw.update(batch_size=batch_size, max_length=max_length)
    s = feature_table(model, tokenizer, list(members), **kw)
    v = feature_table(model, tokenizer, list(nonmembers), **kw)
    out = dataset_inference(s, v, sizes=sizes, splits=splits, seed=seed, alpha=alpha)
    return {"mode": mode_of(model), **out}


@dataclass
class InferenceResult:
    """What `infer` returns: results.json's content and the two feature tables."""

    results: dict
    suspect_features: object  # pandas DataFrame
    validation_features: object
    out: Path | None = None
    verdict: str = field(default="")


def _out_dir(out: Path | None, overwrite: bool) -> Path:
    out = (
        Path(out)
        if out is not None
        else Path("runs/infer") / datetime.now().strftime("%Y%m%d-%H%M%S")
    )
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not overwrite:
        raise RunDirError(f"output directory {str(out)!r} exists; pass --overwrite to replace it")
    return out


def infer(
    model: str,
    suspect: str | Path | Sequence | None = None,
    validation: str | Path | Sequence | None = None,
    *,
    adapter: str | Path | None = None,
    reference: str | None = None,
    out: str | Path | None = None,
    write: bool = True,
    overwrite: bool = False,
    alpha: float = 0.05,
    seed: int = 0,
    sizes: Sequence[int] | None = None,
    splits: int = 10,
    false_positive: bool = False,
    perturbations: Sequence[str] = DEFAULT_PERTURBATIONS,
    init_seed: int = 0,
    batch_size: int = 16,
    max_length: int = 128,
) -> InferenceResult:
    """Dataset inference of `model` (a registered name, local directory or hub id, plus an
    optional peft `adapter`) on `suspect` against `validation` (JSONL files with `text`, and
    `label` for classifiers, or lists of items). `false_positive`: `suspect` is ignored and
    two random halves of `validation` are tested against each other, which must not be
    significant. Writes OUT/results.json, features.csv and report.html unless `write` is
    False; nothing is written when an input is bad."""
    from forgetlab.inference.loading import check_adapter, load_model, model_mode, read_examples

    t0 = time.time()
    perturbations = _check_perturbations(perturbations)
    check_settings(splits, alpha)
    if validation is None:
        raise DataError("validation: a held-out set is required")
    if suspect is None and not false_positive:
        raise DataError("suspect: a suspect set is required (or use the false-positive mode)")
    out_dir = _out_dir(out, overwrite) if write else None
    labelled = model_mode(model) == "classifier"
    adapter = check_adapter(adapter) if adapter is not None else None
    if reference is not None and (labelled or model_mode(reference) != "causal"):
        raise DataError("reference: a reference model works with causal LMs only")

    def items(source, what: str) -> list:
        if isinstance(source, (str, Path)):
            return read_examples(Path(source), labelled)
        if not source:
            raise DataError(f"{what}: no examples")
        return list(source)

    val_items = items(validation, "validation")
    sus_items = None if false_positive else items(suspect, "suspect")
    if false_positive:
        n = len(val_items) // 2
        resolve_sizes(sizes, n, n)
    else:
        resolve_sizes(sizes, len(sus_items), len(val_items))
    net, tok = load_model(model, adapter, init_seed)
    ref = load_model(reference, None, init_seed) if reference else None
    kw = dict(seed=seed, perturbations=perturbations, reference=ref)
    kw.update(batch_size=batch_size, max_length=max_length)
    import pandas as pd

    v_table = feature_table(net, tok, val_items, **kw)
    v_table.insert(0, "text", [_text(x) for x in val_items])
    if false_positive:
        s_table, v_table = split_halves(v_table, seed)
    else:
        s_table = feature_table(net, tok, sus_items, **kw)
        s_table.insert(0, "text", [_text(x) for x in sus_items])
    features = [c for c in s_table.columns if c != "text"]
    results = dataset_inference(
        s_table[features], v_table[features], sizes=sizes, splits=splits, seed=seed, alpha=alpha
    )
    results = {
        "mode": mode_of(net),
        "model": model,
        "adapter": str(adapter) if adapter else None,
        "reference": reference,
        "suspect_file": None if false_positive else _name(suspect),
        "validation_file": _name(validation),
        "false_positive": false_positive,
        "perturbations": list(perturbations),
        "init_seed": init_seed,
        **results,
        "wall_time_s": round(time.time() - t0, 2),
    }
    from forgetlab.inference.report import verdict_line

    result = InferenceResult(results, s_table, v_table, out_dir, verdict_line(results))
    if write:
        _write(result, pd)
    return result


def _text(item) -> str:
    return item if isinstance(item, str) else getattr(item, "text", None) or str(item[0])


def _name(source) -> str | None:
    return str(source) if isinstance(source, (str, Path)) else None


def _write(result: InferenceResult, pd) -> None:
    import json

    from forgetlab.fileio import atomic_write
    from forgetlab.inference.report import inference_page
    from forgetlab.reports.page import write_pages
    from forgetlab.runs.provenance import versions

    out = result.out
    names = (
        ("validation_a", "validation_b")
        if result.results["false_positive"]
        else (
            "suspect",
            "validation",
        )
    )
    table = pd.concat(
        [
            result.suspect_features.assign(set=names[0], index=range(len(result.suspect_features))),
            result.validation_features.assign(
                set=names[1], index=range(len(result.validation_features))
            ),
        ]
    )
    table = table[["set", "index"] + [c for c in table.columns if c not in ("set", "index")]]
    results = {**result.results, "versions": versions()}
    atomic_write(out / "results.json", json.dumps(results, indent=2) + "\n")
    atomic_write(out / "features.csv", table.to_csv(index=False))
    write_pages([inference_page(results)], out / "report.html")
