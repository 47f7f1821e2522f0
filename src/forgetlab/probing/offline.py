"""Probing after the fact: a finished run's checkpoints, or a model's pretraining checkpoints.

    report = probe_run(Path("runs/seq/20261121-120000"))      # -> RUN_DIR/probing/
    report.results.accuracy_matrix, report.stages, report.missing

    ckpt = probe_checkpoints(spec, ["ckpts/step1000", "ckpts/step2000"], Path("out"))
    ckpt.last_layer_accuracy["linear"]                        # [checkpoint][task]

`probe_run` rebuilds the learner from the run's spec (the same seed, so the same initial
model: the baseline, and the same probe examples), then loads the checkpoints of every stage
in order (each holds what trained in its stage), evaluates the model (its per-example hits:
the P vs R tests) and probes after each. `train.checkpoint = "every"` gives every stage;
"last" only the final one (the others are reported as missing). Results go to
OUT/probing.json and OUT/probing.csv (default OUT = RUN_DIR/probing).

`probe_checkpoints` probes several checkpoints of one model (local directories, or hub
revisions of `model.name`) on the spec's tasks without fine-tuning, to draw probing accuracy
across pretraining. Results: OUT/checkpoints.json and OUT/checkpoints.csv.
"""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from forgetlab.errors import ForgetlabError, RunDirError
from forgetlab.fileio import atomic_write
from forgetlab.output_paths import check_output_dir
from forgetlab.probing.cka import linear_cka
from forgetlab.probing.features import FeatureBlock
from forgetlab.probing.matrices import finite_or_none, stage_tag
from forgetlab.probing.prober import Prober
from forgetlab.probing.schema import CheckpointProbing, ProbingResults
from forgetlab.probing.spec import ProbeSpec


def _device(choice: str) -> torch.device:
    if choice == "cuda" or (choice == "auto" and torch.cuda.is_available()):
        return torch.device("cuda")
    return torch.device("cpu")


def _write_csv(path: Path, header: list[str], rows: list[tuple]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    atomic_write(path, buf.getvalue())


@dataclass(frozen=True)
class RunProbing:
    """What `probe_run` did: results, the stages probed and those without a checkpoint."""

    results: ProbingResults
    stages: list[int]
    missing: list[int]
    out: Path
    warnings: list[str]
    R: list | None = None  # the model's accuracy matrix the gaps and tests compare with


def checkpoint_stages(run_dir: Path) -> list[tuple[int, Path]]:
    """(stage, folder) of every checkpoint of a run, in stage order (from manifest.json)."""
    found = []
    for folder in sorted((run_dir / "checkpoints").glob("*/")):
        manifest = folder / "manifest.json"
        if folder.name.startswith(".") or not manifest.is_file():
            continue
        try:
            stage = json.loads(manifest.read_text())["stage"]
        except (json.JSONDecodeError, KeyError, UnicodeDecodeError):
            raise RunDirError(f"checkpoint manifest {str(manifest)!r} has no stage") from None
        found.append((int(stage), folder))
    return sorted(found)


def probe_run(
    run_dir: Path, out: Path | None = None, overrides: list[str] | None = None
) -> RunProbing:
    """Probe every saved stage of a finished run (see the module docstring)."""
    from forgetlab.eval import evaluate
    from forgetlab.models import build_learner
    from forgetlab.runs.checkpoint import load_trainable
    from forgetlab.spec import load_spec
    from forgetlab.streams import build_experiment_stream

    run_dir = Path(run_dir)
    if not (run_dir / "spec.toml").is_file():
        raise RunDirError(f"{str(run_dir)!r} is not a run directory (no spec.toml)")
    out = check_output_dir(
        Path(out) if out is not None else run_dir / "probing", home=run_dir / "probing"
    )
    spec = load_spec(run_dir / "spec.toml", overrides)
    ckpts = checkpoint_stages(run_dir)
    if not ckpts:
        raise RunDirError(
            f"run directory {str(run_dir)!r} has no checkpoints to probe; "
            "train with train.checkpoint = 'every' (or 'last')"
        )
    results_file = run_dir / "results.json"
    R = json.loads(results_file.read_text())["accuracy_matrix"] if results_file.is_file() else None
    stream = build_experiment_stream(spec)
    learner = build_learner(spec, stream)  # seeded: the run's initial model
    device = _device(spec.train.device)
    learner.to(device)
    prober = Prober(spec.probe, stream, learner, device, cache_dir=out / "features", seed=spec.seed)
    prober.observe(-1)
    next_stage, warnings = 0, []
    evaluated: dict[int, list[float]] = {}  # stage -> the model's accuracy row
    for stage, folder in ckpts:
        if stage > next_stage and not _has_backbone_weights(folder):
            warnings.append(
                f"checkpoint {folder.name!r} holds no backbone weights and stages before it "
                "have no checkpoint: if the backbone trained earlier (SEQ*'s first task), "
                f"stage {stage} is probed on the untrained backbone"
            )
        next_stage = stage + 1
        load_trainable(learner, folder)
        scores = evaluate(
            learner,
            stream,
            stage,
            lambda exs: [learner.encode(e) for e in exs],
            spec.eval.batch_size,
            on_hidden=prober.on_hidden if prober.needs_hidden() else None,
            on_predicted=prober.on_predicted,
        )
        evaluated[stage] = [s.accuracy for s in scores]
        prober.observe(stage)
    if R is None:  # no results.json: the checkpoints' own evaluation
        T = len(stream.tasks)
        R = [evaluated.get(i, [None] * T) for i in range(max(evaluated) + 1)]
    results = prober.results(R)
    atomic_write(out / "probing.json", results.model_dump_json(indent=2) + "\n")
    _write_csv(
        out / "probing.csv", ["stage", "task", "metric", "value", "layer"], prober.score_rows()
    )
    stages = [s for s, _ in ckpts]
    missing = [s for s in range(len(stream.tasks)) if s not in stages]
    return RunProbing(results, stages, missing, out, warnings, R)


def _has_backbone_weights(folder: Path) -> bool:
    from safetensors import safe_open

    from forgetlab.runs.checkpoint import WEIGHTS

    with safe_open(str(folder / WEIGHTS), framework="pt") as f:
        return any(k.startswith("backbone.") for k in f.keys())


def _checkpoint_model(model, checkpoint: str):
    """The model spec of one checkpoint: a local directory, or a hub revision of the model."""
    from forgetlab.models import models

    if Path(checkpoint).expanduser().exists():
        return model.model_copy(update={"name": str(Path(checkpoint).expanduser().resolve())})
    if checkpoint.startswith(("/", ".", "~")) or model.name in models:
        raise ForgetlabError(
            f"checkpoint {checkpoint!r}: no such directory, and model {model.name!r} is not a "
            "hub id whose revision it could be"
        )
    return model.model_copy(update={"revision": checkpoint})


def probe_checkpoints(spec, checkpoints: list[str], out: Path) -> CheckpointProbing:
    """Probe checkpoints of one model on `spec`'s tasks, no fine-tuning (module docstring)."""
    from forgetlab.eval import evaluate
    from forgetlab.models import build_learner
    from forgetlab.streams import build_experiment_stream

    if not checkpoints:
        raise ForgetlabError("probe-checkpoints: name at least one --checkpoint")
    out = check_output_dir(Path(out))
    stream = build_experiment_stream(spec)
    T, final = len(stream.tasks), len(stream.tasks) - 1  # probes see every class
    device = _device(spec.train.device)
    acc: dict[str, list] = {}
    best: dict[str, list[int]] = {}
    zero_shot, cka, sep, seconds = [], [], [], []
    layers: list[int] | None = None
    previous: FeatureBlock | None = None
    for i, name in enumerate(checkpoints):
        t0 = time.perf_counter()
        ckpt_spec = spec.model_copy(update={"model": _checkpoint_model(spec.model, name)})
        learner = build_learner(ckpt_spec, stream)
        learner.to(device)
        prober = Prober(
            spec.probe,
            stream,
            learner,
            device,
            cache_dir=out / "features" / f"{i:03d}",
            seed=spec.seed,
        )
        if layers is not None and prober.layers != layers:
            raise ForgetlabError(
                f"checkpoint {name!r} has layers {prober.layers}, the first {layers}: "
                "probe checkpoints of one model"
            )
        layers = prober.layers
        tag = stage_tag(final)
        for kind, rec in prober.probe(tag, final)["probes"].items():
            acc.setdefault(kind, []).append(rec["accuracy"])
            chosen = rec["best_layer"]  # on validation rows of the training split
            best.setdefault(kind, []).append(layers[chosen if chosen is not None else -1])
        sep.append(prober.geometry(tag, final)[0] if prober.spec.geometry else [None] * T)
        after = prober.block(tag, 0, "test")  # task 0's test examples, as in a run
        cka.append(
            [finite_or_none(linear_cka(previous.layer(k), after.layer(k))) for k in layers]
            if previous is not None
            else [None] * len(layers)
        )
        if learner.mode == "text_to_text":
            encode = lambda exs, lr=learner: [lr.encode(e) for e in exs]  # noqa: E731
            scores = evaluate(learner, stream, final, encode, prober.spec.batch_size)
            zero_shot.append([s.accuracy for s in scores])
        previous = after
        seconds.append(time.perf_counter() - t0)
    assert layers is not None
    last = len(layers) - 1
    result = CheckpointProbing(
        checkpoints=list(checkpoints),
        tasks=stream.task_names,
        layers=layers,
        pooling=(spec.probe or ProbeSpec()).pooling,
        probes=list(acc),
        accuracy=acc,
        last_layer_accuracy={k: [m[last] for m in v] for k, v in acc.items()},
        best_layer=best,
        zero_shot_accuracy=zero_shot or None,
        cka_vs_previous=cka,
        separability=sep,
        seconds=seconds,
    )
    atomic_write(out / "checkpoints.json", result.model_dump_json(indent=2) + "\n")
    _write_csv(
        out / "checkpoints.csv", ["checkpoint", "task", "metric", "value", "layer"], _rows(result)
    )
    return result


def _rows(r: CheckpointProbing) -> list[tuple]:
    rows: list[tuple] = []
    for kind, per_ckpt in r.accuracy.items():
        for c, m in zip(r.checkpoints, per_ckpt):
            for layer, row in zip(r.layers, m):
                rows += [(c, t, f"probe_acc_{kind}", v, layer) for t, v in zip(r.tasks, row)]
    for c, row in zip(r.checkpoints, r.zero_shot_accuracy or []):
        rows += [(c, t, "zero_shot_acc", v, "") for t, v in zip(r.tasks, row)]
    for c, row in zip(r.checkpoints, r.cka_vs_previous):
        rows += [(c, "", "cka", v, layer) for layer, v in zip(r.layers, row) if v is not None]
    for c, row in zip(r.checkpoints, r.separability):
        rows += [
            (c, t, "separability", v, r.layers[-1]) for t, v in zip(r.tasks, row) if v is not None
        ]
    return rows
