"""Run an audit: load both models, measure the suite on each, write the audit directory.

    result = audit("tiny-gpt2", "runs/wordnet-seq/20261201-1200", out="audits/seq")
    result.results["findings"]          # plain-words sentences, strongest differences first

OUT/ (a run-like directory: marker, lock, atomic writes, --overwrite only of such a folder)
    suite.toml      the resolved suite
    results.json    models, weight change, CKA, probes, perplexity, unseen tasks, lm-eval,
                    the examples whose loss grew most, findings
    report.html     the findings in plain words, then every figure and table (figures/*.png)
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from forgetlab.audit import measures
from forgetlab.audit.models import AuditModel, is_run_dir, load_pair
from forgetlab.audit.suite import AuditSuite, load_suite
from forgetlab.errors import SpecError
from forgetlab.fileio import atomic_write


@dataclass(frozen=True)
class AuditResult:
    out: Path
    results: dict


def _probe_stream(suite: AuditSuite):
    from forgetlab.streams import build_stream
    from forgetlab.streams.wordnet_stream import WordNetStreamSpec

    p = suite.probe
    n = len(p.categories) if p.categories else p.tasks
    if n == 0:
        return None
    return build_stream(
        WordNetStreamSpec(
            kind="wordnet-til",
            n_tasks=n,
            classes_per_task=p.classes_per_task,
            train_per_class=p.train_per_class,
            test_per_class=p.test_per_class,
            classes=p.categories,
            seed=suite.seed,
        )
    )


def _features(model: AuditModel, stream, suite: AuditSuite, device) -> tuple[list[int], list]:
    """(layers, [(train block, test block) per task]) of one model on the probe stream."""
    from forgetlab.models.text_to_text import TextToTextLearner
    from forgetlab.probing.features import FeatureExtractor, resolve_layers

    learner = TextToTextLearner(model.backbone, model.tokenizer, stream, suite.max_length)
    learner.to(device)
    layers = resolve_layers(suite.probe.layers, model.backbone)
    ex = FeatureExtractor(learner, layers, suite.probe.pooling, suite.batch_size)
    return layers, [(ex.extract(t.train), ex.extract(t.test)) for t in stream.tasks]


def measure_layers(base: AuditModel, tuned: AuditModel, suite: AuditSuite, device) -> dict:
    """Per-layer CKA (base vs tuned) and linear-probe accuracy of both models."""
    stream = _probe_stream(suite)
    if stream is None:
        return {"layers": [], "cka": [], "probe": {}}
    layers, fb = _features(base, stream, suite, device)
    layers_t, ft = _features(tuned, stream, suite, device)
    if layers != layers_t:
        raise SpecError(f"audit: the models have different layers ({layers} vs {layers_t})")
    n, seed = suite.bootstrap, suite.seed
    cka = []
    for k in layers:
        X = np.concatenate([test.layer(k) for _, test in fb])
        Y = np.concatenate([test.layer(k) for _, test in ft])
        cka.append({"layer": k, **measures.cka_interval(X, Y, n, seed)})
    probe: dict[str, dict] = {}
    for task, (b, t) in zip(stream.tasks, zip(fb, ft)):
        rows = []
        for k in layers:
            cb = measures.probe_correct(b[0].layer(k), b[0].labels, b[1].layer(k), b[1].labels)
            ct = measures.probe_correct(t[0].layer(k), t[0].labels, t[1].layer(k), t[1].labels)
            diff = measures.mean_difference(cb, ct, n, seed)
            lo_b, hi_b = measures.wilson(cb)
            lo_t, hi_t = measures.wilson(ct)
            rows.append(
                {"layer": k, **diff, "base_low": lo_b, "base_high": hi_b}
                | {"tuned_low": lo_t, "tuned_high": hi_t, "n": len(cb)}
            )
        name = task.name.split(":", 1)[-1]
        probe[name] = {"classes": [stream.class_names[c] for c in task.classes], "layers": rows}
    return {"layers": layers, "cka": cka, "probe": probe}


def _texts(suite: AuditSuite):
    from forgetlab.general.texts import concat, file_texts, wordnet_texts

    sets = [wordnet_texts(suite.text.max_texts, suite.seed)] if suite.text.wordnet else []
    sets += [
        file_texts(domain, path, suite.text.max_texts, suite.seed)
        for domain, path in suite.text.files.items()
    ]
    return concat(sets) if sets else None


def measure_general(base: AuditModel, tuned: AuditModel, suite: AuditSuite, device) -> dict:
    """Perplexity by domain, unseen tasks, lm-eval tasks; the per-example losses."""
    from forgetlab.general.perplexity import text_losses
    from forgetlab.general.unseen import choice_correct, file_choice_task, wordnet_choice_tasks

    n, seed = suite.bootstrap, suite.seed
    kw = {"batch_size": suite.batch_size, "max_length": suite.max_length, "device": device}
    out: dict = {"perplexity": {}, "unseen": {}, "lm_eval": None, "examples": []}
    texts = _texts(suite)
    if texts is not None:
        (nb, tb), (nt, tt) = [
            text_losses(m.backbone, m.tokenizer, texts.texts, **kw) for m in (base, tuned)
        ]
        for d in dict.fromkeys(texts.domains):
            i = np.array([k for k, x in enumerate(texts.domains) if x == d])
            out["perplexity"][d] = {
                **measures.ratio_of_perplexities(nb[i], tb[i], nt[i], tt[i], n, seed),
                "texts": len(i),
            }
        per_b, per_t = nb / np.maximum(tb, 1), nt / np.maximum(tt, 1)
        out["examples"] += [
            {"kind": "text", "where": d, "text": x, "base_loss": float(b), "tuned_loss": float(t)}
            for x, d, b, t in zip(texts.texts, texts.domains, per_b, per_t)
        ]
    u = suite.unseen
    n_unseen = len(u.categories) if u.categories else u.tasks
    tasks = (
        wordnet_choice_tasks(set(), n_unseen, u.classes_per_task, u.per_class, seed, u.categories)
        if n_unseen
        else []
    )
    tasks += [file_choice_task(k, p, u.per_class, seed) for k, p in u.files.items()]
    for task in tasks:
        (cb, lb), (ct, lt) = [
            choice_correct(m.backbone, m.tokenizer, task, **kw) for m in (base, tuned)
        ]
        lo_b, hi_b = measures.wilson(cb)
        lo_t, hi_t = measures.wilson(ct)
        out["unseen"][task.name] = {
            **measures.mean_difference(cb, ct, n, seed),
            "base_low": lo_b,
            "base_high": hi_b,
            "tuned_low": lo_t,
            "tuned_high": hi_t,
            "n": len(cb),
        }
        out["examples"] += [
            {
                "kind": "unseen task item",
                "where": task.name,
                "text": f"{text} -> {task.choices[a]}",
                "base_loss": float(x),
                "tuned_loss": float(y),
            }
            for (text, a), x, y in zip(task.items, lb, lt)
        ]
    out["lm_eval"] = _lm_eval(base, tuned, suite)
    return out


def _lm_eval(base: AuditModel, tuned: AuditModel, suite: AuditSuite) -> dict | None:
    from forgetlab.general.lm_eval import lm_eval_available, run_lm_eval

    s = suite.lm_eval
    if not s.tasks:
        return None
    if not lm_eval_available():
        return {
            "skipped": "lm-evaluation-harness is not installed (pip install 'forgetlab[lmeval]')"
        }
    kw = dict(
        limit=s.limit,
        num_fewshot=s.num_fewshot,
        batch_size=s.batch_size,
        include_path=s.include_path,
        seed=suite.seed,
    )
    rb = run_lm_eval(base.backbone, base.tokenizer, s.tasks, **kw)
    rt = run_lm_eval(tuned.backbone, tuned.tokenizer, s.tasks, **kw)
    out = {}
    for task in s.tasks:
        rows = {}
        for metric, vb in rb.get(task, {}).items():
            if metric.endswith("_stderr") or metric not in rt.get(task, {}):
                continue
            vt = rt[task][metric]
            se_b = rb[task].get(f"{metric}_stderr")
            se_t = rt[task].get(f"{metric}_stderr")
            half = (
                1.96 * (se_b**2 + se_t**2) ** 0.5 if se_b is not None and se_t is not None else None
            )
            rows[metric] = {
                "base": vb,
                "tuned": vt,
                "difference": vt - vb,
                "low": None if half is None else vt - vb - half,
                "high": None if half is None else vt - vb + half,
            }
        out[task] = rows
    return out


def top_examples(examples: list[dict], k: int) -> list[dict]:
    """The `k` examples whose per-token loss grew most (tuned - base), largest first."""
    for e in examples:
        e["increase"] = e["tuned_loss"] - e["base_loss"]
    return sorted(examples, key=lambda e: -e["increase"])[:k]


def model_info(model: AuditModel) -> dict:
    params = sum(p.numel() for p in model.backbone.parameters())
    return {
        "label": model.label,
        "architecture": type(model.backbone).__name__,
        "params": params,
        **model.info,
    }


def audit(
    base: str,
    tuned: str | None = None,
    adapter: str | None = None,
    suite: str | Path = "default",
    out: str | Path | None = None,
    overwrite: bool = False,
    device: str = "auto",
    report: bool = True,
    dtype: str = "float32",
) -> AuditResult:
    """Compare BASE and TUNED (module docstring); returns the directory and its results."""
    import tomli_w

    from forgetlab.audit.findings import findings
    from forgetlab.runs.device import pick_device
    from forgetlab.runs.provenance import git_info, versions
    from forgetlab.runs.store import RunStore, default_run_dir

    t0 = time.perf_counter()
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    the_suite = load_suite(suite)
    dev = pick_device(device)
    if dtype not in ("float32", "bfloat16", "float16"):
        raise SpecError(f"--dtype: {dtype!r} is not one of float32, bfloat16, float16")
    models = load_pair(base, tuned, adapter, the_suite.seed, dtype)
    for m in models:
        m.backbone.to(dev)
    store = RunStore(Path(out) if out is not None else default_run_dir("audit"))
    protect = [Path(p) for p in (base, tuned, adapter) if p and Path(p).exists()]
    if str(suite) != "default":
        protect.append(Path(suite))
    store.create(overwrite, tuple(protect))
    try:
        suite_data = the_suite.model_dump(mode="json", exclude_none=True)
        atomic_write(store.root / "suite.toml", tomli_w.dumps(suite_data))
        b, t = models
        results: dict = {
            "kind": "audit",
            "base": model_info(b),
            "tuned": model_info(t),
            "suite": suite_data,
            "device": str(dev),
            "dtype": dtype,
            "weights": measures.weight_change(b.backbone, t.backbone),
            **measure_layers(b, t, the_suite, dev),
        }
        general = measure_general(b, t, the_suite, dev)
        results.update(
            perplexity=general["perplexity"],
            unseen=general["unseen"],
            lm_eval=general["lm_eval"],
            top_examples=top_examples(general["examples"], the_suite.examples.top),
        )
        results["findings"] = findings(results)
        results.update(
            started_at=started,
            wall_time_s=time.perf_counter() - t0,
            versions=versions(),
            git=git_info().model_dump(),
        )
        atomic_write(store.root / "results.json", json.dumps(_finite(results), indent=2) + "\n")
        store.commit()
        if report:
            from forgetlab.audit.report import write_audit_report

            write_audit_report(store.root)
    finally:
        store.rollback()
        store.release()
    return AuditResult(store.root, results)


def _finite(x):
    """NaN and infinities as null (strict JSON)."""
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_finite(v) for v in x]
    if isinstance(x, float) and not np.isfinite(x):
        return None
    return x


__all__ = ["AuditResult", "audit", "is_run_dir"]
