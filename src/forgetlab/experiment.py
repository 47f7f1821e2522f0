"""Run an experiment: build the stream and learner, train stage by stage, fill R, write DIR.

result = forgetlab.run(load_spec(), out="runs/quickstart")
result.accuracy_matrix   # (T, T) numpy array, R[i][j] = accuracy on task j after stage i
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import numpy as np
import torch

from forgetlab.eval import evaluate
from forgetlab.metrics import all_metrics
from forgetlab.models import build_learner
from forgetlab.models.learner import Encoded, Learner
from forgetlab.progress import progress_bar
from forgetlab.runs.provenance import git_info, versions
from forgetlab.runs.schema import ModelInfo, RunResults, StageRecord
from forgetlab.runs.store import RunStore, default_run_dir
from forgetlab.spec import ExperimentSpec, dump_spec
from forgetlab.strategies import TaskContext, build_strategies
from forgetlab.streams import build_stream
from forgetlab.streams.task import Example
from forgetlab.train.batching import make_batches
from forgetlab.train.loop import stage_rng, train_stage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    """What `run` returns: the run directory and its parsed results."""

    run_dir: Path
    results: RunResults

    @property
    def accuracy_matrix(self) -> np.ndarray:
        return np.array(self.results.accuracy_matrix)

    @property
    def initial_accuracy(self) -> np.ndarray:
        return np.array(self.results.initial_accuracy)

    @property
    def metrics(self) -> dict[str, float | None]:
        return self.results.metrics


def pick_device(choice: str) -> torch.device:
    if choice == "cuda" or (choice == "auto" and torch.cuda.is_available()):
        return torch.device("cuda")
    return torch.device("cpu")


class EncodeCache:
    """Tokenize each example once per run, by uid."""

    def __init__(self, learner: Learner) -> None:
        self.learner = learner
        self.items: dict[int, Encoded] = {}

    def lookup(self, uids: list[int]) -> list[Encoded]:
        return [self.items[u] for u in uids]

    def __call__(self, examples: list[Example]) -> list[Encoded]:
        out = []
        for ex in examples:
            enc = self.items.get(ex.uid)
            if enc is None:
                enc = self.items[ex.uid] = self.learner.encode(ex)
            out.append(enc)
        return out


def _nan_to_none(d: dict[str, float]) -> dict[str, float | None]:
    return {k: (None if np.isnan(v) else float(v)) for k, v in d.items()}


def score_rows(results: RunResults) -> list[tuple]:
    """Long-form rows for scores.csv: accuracy per (stage, task), then the final figures."""
    rows = [(-1, t, "accuracy", a) for t, a in zip(results.tasks, results.initial_accuracy)]
    for i, row in enumerate(results.accuracy_matrix):
        rows += [(i, t, "accuracy", a) for t, a in zip(results.tasks, row)]
    last = len(results.accuracy_matrix) - 1
    rows += [(last, "", name, "" if v is None else v) for name, v in results.metrics.items()]
    return rows


def stage_context(
    spec: ExperimentSpec, stream, learner: Learner, stage: int, encode, device: torch.device
) -> TaskContext:
    """The context of training stage `stage`: its seeded rng and the spec's batching."""
    batcher = partial(
        make_batches,
        batch_size=spec.train.batch_size,
        group_by_length=spec.train.group_by_length,
        shuffle=not spec.train.online,
    )
    return TaskContext(
        stage=stage,
        stream=stream,
        learner=learner,
        train=spec.train,
        device=device,
        rng=stage_rng(spec.seed, stage),
        encode=encode,
        make_batches=batcher,
    )


def run(
    spec: ExperimentSpec,
    out: str | Path | None = None,
    overwrite: bool = False,
    progress: bool = False,
) -> RunResult:
    """Train `spec`'s learner through its stream; write and return the results."""
    t_start = time.perf_counter()
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    stream = build_stream(spec.stream)
    learner = build_learner(spec, stream)
    device = pick_device(spec.train.device)
    learner.to(device)
    strategies = build_strategies(spec.strategy)
    for st in strategies:
        st.check(learner.mode, stream.scenario, spec.method.kind)
    store = RunStore(Path(out) if out is not None else default_run_dir(spec.name))
    store.create(overwrite)
    store.write_spec(dump_spec(spec))
    encode = EncodeCache(learner)
    n_eval = sum(-(-len(t.test) // spec.eval.batch_size) for t in stream.tasks)
    total = sum(p.numel() for p in learner.parameters())
    provenance = {"versions": versions(), "git": git_info()}  # once per run, not per stage
    task_hashes = {t.name: t.data_hash() for t in stream.tasks}

    def results(status: str, stages: list[StageRecord], b: list[float], eval0: float):
        R = [s.accuracy for s in stages]
        T = len(stream.tasks)
        metrics = _nan_to_none(all_metrics(R, b)) if len(R) == T else {}
        trainable = sum(p.numel() for p in learner.trainable_parameters())
        return RunResults(
            status=status,
            name=spec.name,
            seed=spec.seed,
            device=str(device),
            scenario=stream.scenario,
            stream=stream.name,
            tasks=stream.task_names,
            classes=list(stream.class_names),
            task_hashes=task_hashes,
            model=ModelInfo(
                name=spec.model.name,
                mode=learner.mode,
                total_params=total,
                trainable_params=trainable,
                trainable_fraction=trainable / total,
            ),
            method=spec.method.kind,
            strategies=[s.kind for s in spec.strategy],
            strategy_cost={
                st.spec.kind: {
                    "seconds": sum(r.strategy_s.get(st.spec.kind, 0.0) for r in stages),
                    "state_bytes": float(st.state_bytes()),
                }
                for st in strategies
            },
            strategy_info={st.spec.kind: st.summary() for st in strategies if st.summary()},
            initial_accuracy=b,
            accuracy_matrix=R,
            test_counts=[len(t.test) for t in stream.tasks],
            metrics=metrics,
            stages=stages,
            initial_eval_s=eval0,
            wall_time_s=time.perf_counter() - t_start,
            started_at=started,
            finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds")
            if status == "complete"
            else None,
            **provenance,
        )

    with progress_bar(progress) as bar:

        def run_eval(stage: int) -> tuple[list[float], float]:
            t0 = time.perf_counter()
            bar_id = bar.add_task(
                f"eval after stage {stage}" if stage >= 0 else "eval (initial)",
                total=n_eval,
                info="",
            )
            scores = evaluate(
                learner,
                stream,
                stage,
                encode,
                spec.eval.batch_size,
                on_batch=lambda: bar.advance(bar_id),
            )
            bar.remove_task(bar_id)
            return [s.accuracy for s in scores], time.perf_counter() - t0

        b, eval0 = run_eval(-1)
        stages: list[StageRecord] = []
        for stage, task in enumerate(stream.tasks):
            torch.manual_seed(spec.seed * 1_000_003 + stage)
            ctx = stage_context(spec, stream, learner, stage, encode, device)
            stats = train_stage(ctx, strategies, bar)
            row, eval_s = run_eval(stage)
            stages.append(
                StageRecord(
                    stage=stage,
                    task=task.name,
                    train_s=stats.seconds,
                    eval_s=eval_s,
                    steps=stats.steps,
                    examples=stats.examples,
                    tokens=stats.tokens,
                    padded_tokens=stats.padded_tokens,
                    mean_loss=stats.mean_loss,
                    last_loss=stats.last_loss,
                    accuracy=row,
                    strategy_s=stats.strategy_s,
                )
            )
            last = stage == len(stream.tasks) - 1
            if spec.train.checkpoint == "every" or (spec.train.checkpoint == "last" and last):
                store.save_checkpoint(
                    learner,
                    "last" if spec.train.checkpoint == "last" else f"stage_{stage:03d}",
                    {"stage": stage, **learner.extra_state()},
                )
            store.write_results(results("complete" if last else "running", stages, b, eval0))
    final = results("complete", stages, b, eval0)
    store.write_results(final)
    store.write_scores(score_rows(final))
    return RunResult(store.root, final)
