"""Run an experiment: build its parts, feed the stage loop's results into a run directory.

run = forgetlab.run(load_spec(), out="runs/quickstart")
run.accuracy_matrix   # (T, T) numpy array, R[i][j] = accuracy on task j after stage i

The experiment itself is `forgetlab.train.stream.train_stream` (no I/O); `Session` is the
wiring (stream, learner, strategies, observers) and the persistence around it: results.json
after every stage, the resume state, scores.csv and the report at the end.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

from forgetlab.errors import Interrupted, RunDirError
from forgetlab.metrics import MetricInputs, evaluate_metrics
from forgetlab.metrics.distance import forgetting_by_distance
from forgetlab.models import build_learner
from forgetlab.models.zoo import provenance
from forgetlab.observers import History, ObserverEnv, build_observers
from forgetlab.progress import progress_bar
from forgetlab.runs import resume as resume_state
from forgetlab.runs.narration import preamble, quiet_libraries, say, stage_line
from forgetlab.runs.provenance import git_info, versions
from forgetlab.runs.result import Run
from forgetlab.runs.resume_check import check_same_experiment
from forgetlab.runs.schema import ModelInfo, ResultsFile, StageRecord
from forgetlab.runs.scores import nan_to_none, run_columns, score_rows
from forgetlab.runs.stage_records import (
    baselines_of,
    json_safe,
    result_from_json,
    result_to_json,
    strategy_cost,
)
from forgetlab.runs.store import NullStore, RunStore, default_run_dir
from forgetlab.spec import ExperimentSpec, dump_spec, load_spec
from forgetlab.strategies import build_strategies
from forgetlab.streams import build_experiment_stream
from forgetlab.streams.describe import task_classes
from forgetlab.train.distributed import Dist
from forgetlab.train.encode import EncodeCache
from forgetlab.train.stream import StageResult, train_stream
from forgetlab.validate import check_parts

# Write report.html at the end of every run unless `run(report=False)`; the test suite turns
# the default off (a report costs about a second) and tests reports where it means to.
REPORT_BY_DEFAULT = True


def run(
    spec: ExperimentSpec,
    out: str | Path | None = None,
    overwrite: bool = False,
    progress: bool = False,
    report: bool | None = None,
    spec_path: str | Path | None = None,
    narrate: bool | None = None,
) -> Run:
    """Train `spec`'s learner through its stream; write and return the results (and
    report.html unless `report` is False). `spec_path`: the file the spec came from, which
    `overwrite` never replaces (nor the spec's data files). `narrate` (default: `progress`):
    print the trainable parameters and the tasks first, then one plain line per stage."""
    dist = Dist.current()
    root = dist.broadcast(str(out) if out is not None else str(default_run_dir(spec.name)))
    store = RunStore(Path(root)) if dist.main else NullStore(Path(root))
    protect = (*input_paths(spec), *([Path(spec_path)] if spec_path else []))
    with quiet_libraries():
        session = Session(spec, store, progress, report, narrate)
        return session.start(overwrite, protect)


def input_paths(spec: ExperimentSpec) -> list[Path]:
    """The files a spec reads: its stream's data files and a local model directory."""
    paths = []
    for key in getattr(type(spec.stream), "path_fields", ()):
        value = getattr(spec.stream, key, None)
        values = (
            value.values()
            if isinstance(value, dict)
            else (value if isinstance(value, list) else [value])
        )
        paths += [Path(v) for v in values if v is not None]
    if Path(spec.model.name).exists():
        paths.append(Path(spec.model.name))
    return paths


def resume(
    run_dir: str | Path,
    progress: bool = False,
    report: bool | None = None,
    narrate: bool | None = None,
) -> Run:
    """Go on with a killed run from its last finished stage (same results as never killed)."""
    root = Path(run_dir)
    if not (root / "spec.toml").is_file():
        raise RunDirError(f"{str(root)!r} is not a run directory (no spec.toml)")
    results = root / "results.json"
    if results.is_file():
        try:
            status = json.loads(results.read_text()).get("status")
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
            status = None  # rewritten below from the resume state
        if status == "complete":
            raise RunDirError(f"run {str(root)!r} is already complete; nothing to resume")
    spec = load_spec(root / "spec.toml")
    store = RunStore(root) if Dist.current().main else NullStore(root)
    with quiet_libraries():
        return Session(spec, store, progress, report, narrate).resume()


class Session:
    """One run: its built parts, the stage loop's results so far, and their persistence."""

    def __init__(
        self,
        spec: ExperimentSpec,
        store: RunStore,
        progress: bool,
        report: bool | None,
        narrate: bool | None = None,
    ) -> None:
        self.t_start = time.perf_counter()
        self.dist = Dist.current()  # several processes under `accelerate launch`
        self.spec, self.store = spec, store
        self.progress = progress and self.dist.main
        self.narrate = (progress if narrate is None else narrate) and self.dist.main
        self.report = (REPORT_BY_DEFAULT if report is None else report) and self.dist.main
        self.stream = build_experiment_stream(spec)
        t_stream = time.perf_counter()
        self.learner = build_learner(spec, self.stream)
        self.setup_line = (
            f"stream built in {t_stream - self.t_start:.1f} s, model loaded in "
            f"{time.perf_counter() - t_stream:.1f} s"
        )
        self.device = self.dist.device(spec.train.device)
        self.learner.to(self.device)
        self.strategies = build_strategies(spec.strategy)
        check_parts(spec, self.learner.mode, self.stream.scenario)
        env = ObserverEnv(self.stream, self.learner, self.device, store.root)
        # before any file: a missing tracker fails; only the main process observes and writes
        self.observers = build_observers(spec, env) if self.dist.main else []
        self.encode = EncodeCache(self.learner)
        self.total_params = sum(p.numel() for p in self.learner.parameters())
        self.provenance = {"versions": versions(), "git": git_info()}  # once per run
        self.task_hashes = {t.name: t.data_hash() for t in self.stream.tasks}
        self.baselines = baselines_of(self.stream)
        self.started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.history = History()
        self.results_so_far: list[StageResult] = []  # trained stages, in order
        self.initial_observer_s: dict[str, float] = {}
        self.touched: frozenset[str] = frozenset()  # parameters that trained in some stage
        self.earlier_wall_s = 0.0  # wall time of the killed attempts
        self.resumed_after: list[int] = []

    # -- entry points -------------------------------------------------------------------
    def start(self, overwrite: bool, protect: tuple[Path, ...] = ()) -> Run:
        self.store.create(overwrite, protect)
        try:
            self.store.write_spec(dump_spec(self.spec))
            return self._train(start=0)
        finally:
            self.store.rollback()  # a no-op once the new run finished a stage (committed)
            self.store.release()

    def resume(self) -> Run:
        self.store.lock()
        try:
            return self._resume()
        finally:
            self.store.release()

    def _resume(self) -> Run:
        state = resume_state.load(self.store.root)
        if state is None:  # killed during stage 0: start over in place
            return self._train(start=0)
        check_same_experiment(state.payload, self.spec, self.task_hashes)
        for st, fitted in zip(self.strategies, state.strategies):
            for k, v in fitted.items():
                setattr(st, k, v)
            st.rebuild(self.learner)  # e.g. per-task adapters, before the weights load
        resume_state.restore_weights(state, self.learner)
        p = state.payload
        self.history = History(p["initial"], [s["records"] for s in p["stages"]])
        self.results_so_far = [result_from_json(s) for s in p["stages"]]
        self.initial_observer_s = p["initial_observer_s"]
        self.started_at, self.earlier_wall_s = p["started_at"], p["wall_time_s"]
        self.resumed_after = [*p["resumed_after"], state.stage]
        self.touched = frozenset(state.touched)
        for obs in self.observers:
            obs.load_state_dict(p["observers"].get(obs.name, {}))
        return self._train(start=state.stage + 1)

    # -- the stages -----------------------------------------------------------------------
    def _train(self, start: int) -> Run:
        last = len(self.stream.tasks) - 1
        if self.narrate:
            say(self.setup_line)
            for line in preamble(self.spec, self.stream, self.learner):
                say(line)
            if start > 0:
                say(f"resuming after stage {start - 1}")
        try:
            with progress_bar(self.progress) as bar:
                stages = train_stream(
                    self.learner,
                    self.stream,
                    self.strategies,
                    self.spec.train,
                    seed=self.spec.seed,
                    observers=self.observers,
                    device=self.device,
                    encode=self.encode,
                    start=start,
                    touched=self.touched,
                    progress=bar,
                    dist=self.dist,
                )
                for result in stages:
                    self._record(result)
                    if self.narrate:
                        say(self._stage_line(result))
                    if result.stage == last:
                        break
                    self.store.write_results(self._results("running"))
                    if result.stage >= 0:
                        self._save_resume_state(result.stage)
                        self.store.commit()  # the replaced directory (--overwrite) can go
            final = self._results("complete")
            self.store.commit()
        except BaseException as e:
            for obs in self.observers:
                obs.close(None, failed=True)
            if isinstance(e, (KeyboardInterrupt, Interrupted)):
                if self.history.initial:
                    self.store.write_results(self._results("interrupted"))
                stop = e if isinstance(e, Interrupted) else Interrupted("SIGINT", 130)
                stop.run_dir = self.store.root
                raise stop from None
            raise
        rows = score_rows(final) + [r for o in self.observers for r in o.score_rows(self.history)]
        self.store.write_scores(rows, run_columns(final, self.store.root))
        self.store.write_results(final)  # "complete": results and scores are final
        for obs in self.observers:
            obs.close(final.model_dump(mode="json"), failed=False)
        if self.report:
            from forgetlab.reports import write_run_report  # matplotlib: only when needed

            t0 = time.perf_counter()
            write_run_report(self.store.root)
            if self.narrate:
                say(f"report written in {time.perf_counter() - t0:.1f} s")
        if self.dist.main:
            resume_state.clear(self.store.root)
        return Run(self.store.root, final if self.dist.main else None)

    def _record(self, result: StageResult) -> None:
        self.touched = result.touched
        if result.stage < 0:
            self.history.initial = result.records
            self.initial_observer_s = result.observer_s
            return
        self.history.stages.append(result.records)
        self.results_so_far.append(result)

    def _stage_line(self, result: StageResult) -> str:
        if result.stage < 0:
            row = self.history.initial_accuracy()
        else:
            row = self.history.accuracy_matrix()[-1]
        name = "score" if self.stream.generative else "acc"
        task = self.stream.task_names[result.stage] if result.stage >= 0 else ""
        stats = result.stats if result.stage >= 0 else None
        return stage_line(result.stage, row, stats, task, name, result.observer_s)

    def _save_resume_state(self, stage: int) -> None:
        if not self.dist.main:
            return
        payload = {
            "spec": self.spec.model_dump(mode="json"),
            "task_hashes": self.task_hashes,
            "initial": self.history.initial,
            "initial_observer_s": self.initial_observer_s,
            "stages": [result_to_json(r) for r in self.results_so_far],
            "started_at": self.started_at,
            "wall_time_s": self._wall(),
            "resumed_after": self.resumed_after,
            "observers": {o.name: o.state_dict() for o in self.observers},
        }
        resume_state.save(
            self.store.root, stage, self.learner, self.touched, self.strategies, payload
        )

    def _wall(self) -> float:
        return self.earlier_wall_s + time.perf_counter() - self.t_start

    # -- results.json ---------------------------------------------------------------------
    def _stage_record(self, result: StageResult) -> StageRecord:
        s = result.stats
        return StageRecord(
            **self.history.merged(result.stage),
            stage=result.stage,
            task=self.stream.task_names[result.stage],
            train_s=s.seconds,
            steps=s.steps,
            examples=s.examples,
            tokens=s.tokens,
            padded_tokens=s.padded_tokens,
            mean_loss=s.mean_loss,
            last_loss=s.last_loss,
            strategy_s=s.strategy_s,
            observer_s=result.observer_s,
        )

    def _results(self, status: str) -> ResultsFile:
        stream, learner, history = self.stream, self.learner, self.history
        R, b = history.accuracy_matrix(), history.initial_accuracy()
        complete = len(R) == len(stream.tasks)
        stages = [self._stage_record(r) for r in self.results_so_far]
        trainable = sum(p.numel() for p in learner.trainable_parameters())
        sections: dict = {}
        inputs: dict = {}
        for obs in self.observers:
            sections.update(obs.results(history) or {})
            inputs.update(obs.metric_inputs(history) or {})
        values, notes = {}, {}
        if complete:
            values, notes = evaluate_metrics(
                R,
                b,
                MetricInputs(
                    mode=learner.mode,
                    chance=self.baselines.chance if self.baselines else None,
                    majority=self.baselines.majority if self.baselines else None,
                    **inputs,
                ),
            )
        return ResultsFile(
            status=status,
            name=self.spec.name,
            seed=self.spec.seed,
            device=str(self.device),
            scenario=stream.scenario,
            stream=stream.name,
            stream_info=json_safe(stream.info),
            tasks=stream.task_names,
            classes=list(stream.class_names),
            task_classes=task_classes(stream),
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
            strategy_cost=strategy_cost(self.strategies, self.results_so_far),
            strategy_info={st.spec.kind: st.summary() for st in self.strategies if st.summary()},
            initial_accuracy=b,
            accuracy_matrix=R,
            test_counts=[len(t.test) for t in stream.tasks],
            metrics=nan_to_none(values),
            metric_notes=notes,
            baselines=self.baselines,
            forgetting_by_distance=[float(x) for x in forgetting_by_distance(R)]
            if complete
            else [],
            stages=stages,
            initial_eval_s=history.merged(-1).get("eval_s", 0.0),
            wall_time_s=self._wall(),
            started_at=self.started_at,
            finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds")
            if status == "complete"
            else None,
            resumed_after=self.resumed_after,
            **sections,
            **self.provenance,
        )
