"""Run an experiment: build the stream and learner, train stage by stage, fill R, write DIR.

result = forgetlab.run(load_spec(), out="runs/quickstart")
result.accuracy_matrix   # (T, T) numpy array, R[i][j] = accuracy on task j after stage i
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from forgetlab.errors import RunDirError, SpecError
from forgetlab.eval import evaluate
from forgetlab.eval.exact_match import exact_match
from forgetlab.eval.feature_cache import FeatureCache
from forgetlab.metrics import all_metrics
from forgetlab.metrics.distance import forgetting_by_distance
from forgetlab.models import build_learner
from forgetlab.models.zoo import provenance
from forgetlab.probing.prober import Prober
from forgetlab.progress import progress_bar
from forgetlab.run_context import EncodeCache, pick_device, stage_context
from forgetlab.runs import resume as resume_state
from forgetlab.runs.memory import peaks, reset_peaks
from forgetlab.runs.provenance import git_info, versions
from forgetlab.runs.schema import ModelInfo, RunResults, StageRecord
from forgetlab.runs.scores import nan_to_none, score_rows
from forgetlab.runs.store import RunStore, default_run_dir
from forgetlab.spec import ExperimentSpec, dump_spec, load_spec
from forgetlab.strategies import build_strategies
from forgetlab.streams import build_experiment_stream
from forgetlab.tracking import RunLogger, check_backends
from forgetlab.train.loop import train_stage

logger = logging.getLogger(__name__)

# Write report.html at the end of every run unless `run(report=False)`; the test suite turns
# the default off (a report costs about a second) and tests reports where it means to.
REPORT_BY_DEFAULT = True


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


def _resume_blocker(strategies) -> str | None:
    for st in strategies:
        if st.cannot_resume:
            return f"strategy {st.spec.kind!r} cannot resume: {st.cannot_resume}"
    return None


def run(
    spec: ExperimentSpec,
    out: str | Path | None = None,
    overwrite: bool = False,
    progress: bool = False,
    report: bool | None = None,
) -> RunResult:
    """Train `spec`'s learner through its stream; write and return the results (and
    report.html unless `report` is False)."""
    store = RunStore(Path(out) if out is not None else default_run_dir(spec.name))
    return _Session(spec, store, progress, report).start(overwrite)


def resume(run_dir: str | Path, progress: bool = False, report: bool | None = None) -> RunResult:
    """Go on with a killed run from its last finished stage (same results as never killed)."""
    root = Path(run_dir)
    if not (root / "spec.toml").is_file():
        raise RunDirError(f"{str(root)!r} is not a run directory (no spec.toml)")
    results = root / "results.json"
    if results.is_file():
        try:
            status = json.loads(results.read_text()).get("status")
        except (json.JSONDecodeError, UnicodeDecodeError):
            status = None  # rewritten below from the resume state
        if status == "complete":
            raise RunDirError(f"run {str(root)!r} is already complete; nothing to resume")
    spec = load_spec(root / "spec.toml")
    return _Session(spec, RunStore(root), progress, report).go_on()


class _Session:
    """One run: the built stream, learner and strategies, and the records so far."""

    def __init__(
        self, spec: ExperimentSpec, store: RunStore, progress: bool, report: bool | None
    ) -> None:
        self.t_start = time.perf_counter()
        self.spec, self.store, self.progress = spec, store, progress
        self.report = REPORT_BY_DEFAULT if report is None else report
        check_backends(spec.log)  # a missing tracking package fails before anything is written
        self.stream = build_experiment_stream(spec)
        self.learner = build_learner(spec, self.stream)
        self.device = pick_device(spec.train.device)
        self.learner.to(self.device)
        self.strategies = build_strategies(spec.strategy)
        for st in self.strategies:
            st.check(self.learner.mode, self.stream.scenario, spec.method.kind)
        if spec.eval.exact_match and self.learner.mode != "text_to_text":
            raise SpecError("eval.exact_match needs a causal LM (text_to_text mode)")
        self.encode = EncodeCache(self.learner)
        # pooled test features, reused across stages while the backbone is frozen
        self.feature_cache = (
            FeatureCache(self.learner) if FeatureCache.applies(self.learner) else None
        )
        self.prober = (
            Prober(spec.probe, self.stream, self.learner, self.device, store.root / "features")
            if spec.probe is not None
            else None
        )
        self.total_params = sum(p.numel() for p in self.learner.parameters())
        self.provenance = {"versions": versions(), "git": git_info()}  # once per run
        self.task_hashes = {t.name: t.data_hash() for t in self.stream.tasks}
        self.started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.stages: list[StageRecord] = []
        self.b: list[float] = []
        self.eval0 = 0.0
        self.prior_wall = 0.0  # wall time of the killed attempts
        self.resumed_after: list[int] = []
        self.touched: set[str] = set()  # parameters that trained in some stage

    # -- entry points -------------------------------------------------------------------
    def start(self, overwrite: bool) -> RunResult:
        self.store.create(overwrite)
        self.store.write_spec(dump_spec(self.spec))
        return self._loop()

    def go_on(self) -> RunResult:
        blocker = _resume_blocker(self.strategies)
        state = resume_state.load(self.store.root)
        if state is not None:
            if blocker:
                raise RunDirError(blocker)
            resume_state.restore(state, self.learner, self.strategies)
            p = state.payload
            self.stages = [StageRecord.model_validate(r) for r in p["stages"]]
            self.b, self.eval0 = p["initial_accuracy"], p["initial_eval_s"]
            self.started, self.prior_wall = p["started_at"], p["wall_time_s"]
            self.resumed_after = [*p["resumed_after"], state.stage]
            self.touched = set(state.touched)
            if self.prober is not None and p.get("probing"):
                self.prober.load_state_dict(p["probing"])
        return self._loop()

    # -- the stage loop -----------------------------------------------------------------
    def _loop(self) -> RunResult:
        tracker = RunLogger(self.spec, self.store.root, self.stream.task_names)
        try:
            result = self._stages(tracker)
        except BaseException:
            tracker.close(failed=True)
            raise
        tracker.close()
        return result

    def _stages(self, tracker: RunLogger) -> RunResult:
        spec, stream, learner = self.spec, self.stream, self.learner
        resumable = _resume_blocker(self.strategies) is None
        with progress_bar(self.progress) as bar:
            self.bar = bar
            if not self.stages:
                self.b, self.eval0 = self._eval(-1)
                if self.prober is not None:
                    self.prober.observe(-1)
                self.store.write_results(self._results("running"))
            for stage in range(len(self.stages), len(stream.tasks)):
                reset_peaks()
                torch.manual_seed(spec.seed * 1_000_003 + stage)
                ctx = stage_context(spec, stream, learner, stage, self.encode, self.device)
                stats = train_stage(ctx, self.strategies, bar)
                self.touched |= stats.trained
                scores, eval_s = self._eval_scores(stage)
                if self.prober is not None:
                    self.prober.observe(stage)
                record = self._record(stage, stats, scores, eval_s)
                if spec.eval.exact_match:
                    em = exact_match(learner, stream, spec.eval.batch_size)
                    record = record.model_copy(update={"exact_match": [s.accuracy for s in em]})
                self.stages.append(record)
                last = stage == len(stream.tasks) - 1
                self._checkpoint(stage, last)
                if last:
                    break
                tracker.log_stage(stage, record, None)
                self.store.write_results(self._results("running"))
                if resumable:
                    resume_state.save(
                        self.store.root,
                        stage,
                        learner,
                        self.touched,
                        self.strategies,
                        self._payload(),
                    )
        final = self._results("complete")
        tracker.log_stage(len(self.stages) - 1, self.stages[-1], final.metrics)
        probe_rows = self.prober.score_rows() if self.prober is not None else []
        self.store.write_scores(score_rows(final) + probe_rows)
        self.store.write_results(final)  # "complete": results and scores are final
        if self.report:
            from forgetlab.reports import write_run_report  # matplotlib: only when needed

            write_run_report(self.store.root)
        resume_state.clear(self.store.root)
        return RunResult(self.store.root, final)

    def _eval_scores(self, stage: int) -> tuple[list, float]:
        t0 = time.perf_counter()
        n_eval = sum(-(-len(t.test) // self.spec.eval.batch_size) for t in self.stream.tasks)
        bar_id = self.bar.add_task(
            f"eval after stage {stage}" if stage >= 0 else "eval (initial)", total=n_eval, info=""
        )
        scores = evaluate(
            self.learner,
            self.stream,
            stage,
            self.encode,
            self.spec.eval.batch_size,
            on_batch=lambda: self.bar.advance(bar_id),
            cache=self.feature_cache,
            on_hidden=self.prober.on_hidden
            if self.prober is not None and self.prober.needs_hidden()
            else None,
        )
        self.bar.remove_task(bar_id)
        return scores, time.perf_counter() - t0

    def _eval(self, stage: int) -> tuple[list[float], float]:
        scores, seconds = self._eval_scores(stage)
        return [s.accuracy for s in scores], seconds

    def _record(self, stage: int, stats, scores, eval_s: float) -> StageRecord:
        names = self.stream.task_names
        return StageRecord(
            stage=stage,
            task=names[stage],
            train_s=stats.seconds,
            eval_s=eval_s,
            steps=stats.steps,
            examples=stats.examples,
            tokens=stats.tokens,
            padded_tokens=stats.padded_tokens,
            mean_loss=stats.mean_loss,
            last_loss=stats.last_loss,
            accuracy=[s.accuracy for s in scores],
            strategy_s=stats.strategy_s,
            group_accuracy={
                names[s.task]: {g: c / n for g, (c, n) in s.groups.items()}
                for s in scores
                if s.groups
            },
            **peaks(),
        )

    def _checkpoint(self, stage: int, last: bool) -> None:
        mode = self.spec.train.checkpoint
        if mode == "every" or (mode == "last" and last):
            self.store.save_checkpoint(
                self.learner,
                "last" if mode == "last" else f"stage_{stage:03d}",
                {"stage": stage, **self.learner.extra_state()},
            )

    def _payload(self) -> dict:
        """What resume needs besides weights and strategy state (JSON)."""
        return {
            "stages": [r.model_dump(mode="json") for r in self.stages],
            "initial_accuracy": self.b,
            "initial_eval_s": self.eval0,
            "started_at": self.started,
            "wall_time_s": self._wall(),
            "resumed_after": self.resumed_after,
            "probing": self.prober.state_dict() if self.prober is not None else None,
        }

    def _wall(self) -> float:
        return self.prior_wall + time.perf_counter() - self.t_start

    def _results(self, status: str) -> RunResults:
        stream, learner, stages = self.stream, self.learner, self.stages
        R = [s.accuracy for s in stages]
        complete = len(R) == len(stream.tasks)
        metrics = nan_to_none(all_metrics(R, self.b)) if complete else {}
        by_distance = [float(x) for x in forgetting_by_distance(R)] if complete else []
        trainable = sum(p.numel() for p in learner.trainable_parameters())
        return RunResults(
            status=status,
            name=self.spec.name,
            seed=self.spec.seed,
            device=str(self.device),
            scenario=stream.scenario,
            stream=stream.name,
            tasks=stream.task_names,
            classes=list(stream.class_names),
            task_hashes=self.task_hashes,
            model=ModelInfo(
                name=self.spec.model.name,
                mode=learner.mode,
                total_params=self.total_params,
                trainable_params=trainable,
                trainable_fraction=trainable / self.total_params,
                **provenance(self.spec.model, learner.backbone),
            ),
            method=self.spec.method.kind,
            strategies=[s.kind for s in self.spec.strategy],
            strategy_cost={
                st.spec.kind: {
                    "seconds": sum(r.strategy_s.get(st.spec.kind, 0.0) for r in stages),
                    "state_bytes": float(st.state_bytes()),
                }
                for st in self.strategies
            },
            strategy_info={st.spec.kind: st.summary() for st in self.strategies if st.summary()},
            initial_accuracy=self.b,
            accuracy_matrix=R,
            test_counts=[len(t.test) for t in stream.tasks],
            metrics=metrics,
            forgetting_by_distance=by_distance,
            stages=stages,
            initial_eval_s=self.eval0,
            wall_time_s=self._wall(),
            started_at=self.started,
            finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds")
            if status == "complete"
            else None,
            resumed_after=self.resumed_after,
            probing=self.prober.results(R) if self.prober is not None else None,
            **self.provenance,
        )
