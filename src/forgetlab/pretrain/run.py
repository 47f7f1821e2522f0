"""Run a pretraining spec: corpus -> tokenizer -> model -> steps, checkpoints along the way.

result = pretrain(load_pretrain_spec("rung.toml"), out="ladder/gpt2-1m", progress=True)
result.checkpoints            # [LadderCheckpoint(tokens=0, ...), ..., the last]
resume_pretrain("ladder/gpt2-1m")   # after a kill: on from the last resume state

OUT/spec.toml                        the resolved spec
OUT/results.json                     PretrainResults (status running | complete), rewritten
OUT/checkpoints/tokens-<N>/          Hugging Face model directories + pretrain.json
OUT/resume/                          while running: weights, optimizer, scheduler, records

The model is initialised under a forked torch RNG seeded with `seed` (the global RNG is left
as it was); the data order is a function of (seed, sample index); no dropout. A resumed run
therefore ends with the same weights as an uninterrupted one, bit for bit on CPU.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import torch

from forgetlab.errors import RunDirError
from forgetlab.fileio import atomic_write
from forgetlab.pretrain import state as run_state
from forgetlab.pretrain.corpus import build_corpus
from forgetlab.pretrain.data import BlockOrder, blocks, tokenize
from forgetlab.pretrain.families import SpecialIds, families
from forgetlab.pretrain.ladder import LadderCheckpoint, checkpoint_dirname, checkpoints
from forgetlab.pretrain.loop import (
    heldout_loss,
    make_optimizer,
    make_scheduler,
    perplexity,
    train_step,
)
from forgetlab.pretrain.plan import plan_pretrain
from forgetlab.pretrain.schema import (
    CheckpointRecord,
    LogRecord,
    PretrainModelInfo,
    PretrainResults,
)
from forgetlab.pretrain.spec import PretrainSpec, dump_pretrain_spec, load_pretrain_spec
from forgetlab.pretrain.tokenizer import build_tokenizer
from forgetlab.progress import progress_bar


@dataclass(frozen=True)
class PretrainResult:
    run_dir: Path
    results: PretrainResults

    @property
    def checkpoints(self) -> list[LadderCheckpoint]:
        return checkpoints(self.run_dir)


def pick_device(choice: str) -> torch.device:
    if choice == "cuda" or (choice == "auto" and torch.cuda.is_available()):
        return torch.device("cuda")
    return torch.device("cpu")


def build_model(config, seed: int):
    """A freshly initialised causal LM for `config`, seeded without touching the global RNG."""
    from transformers import AutoModelForCausalLM

    from forgetlab.models.lstm_lm import register_auto_classes

    register_auto_classes()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = AutoModelForCausalLM.from_config(config)
    if getattr(model, "loss_type", None) is None:  # GPT-2's LM head class: the causal LM loss
        model.loss_type = "ForCausalLM"
    return model


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class _Pretraining:
    """One pretraining run: data, model, optimizer and the records so far."""

    def __init__(self, spec: PretrainSpec, root: Path, progress: bool, log) -> None:
        self.t_start = time.perf_counter()
        self.spec, self.root, self.progress, self.log = spec, root, progress, log
        train = spec.train
        corpus = build_corpus(spec.corpus)
        self.tokenizer = build_tokenizer(spec.tokenizer, corpus.train)
        streams = tokenize(self.tokenizer, corpus)
        self.train_blocks = blocks(streams.train, train.seq_len, "training")
        held = blocks(streams.heldout, train.seq_len, "held-out")
        self.heldout_blocks = held[: max(1, math.ceil(train.eval_tokens / train.seq_len))]
        self.corpus_info = {
            **corpus.info,
            "train_tokens": int(len(streams.train)),
            "heldout_tokens": int(len(streams.heldout)),
        }
        vocab = len(self.tokenizer)
        self.plan = plan_pretrain(spec, vocab)
        family = families.get(spec.model.family)
        self.moe = family.mixture
        special = SpecialIds(self.tokenizer.eos_token_id, self.tokenizer.pad_token_id)
        config = family.config(self.plan.shape, vocab, spec.model.context, special, spec.model)
        self.model = build_model(config, spec.seed)
        self.params = sum(p.numel() for p in self.model.parameters())
        self.device = pick_device(train.device)
        self.model.to(self.device)
        self.optimizer = make_optimizer(self.model, train)
        self.scheduler = make_scheduler(self.optimizer, self.plan.total_steps, train)
        self.order = BlockOrder(len(self.train_blocks), spec.seed)
        self.record = {
            "step": 0,
            "checkpoints": [],
            "log": [],
            "train_s": 0.0,
            "wall_s": 0.0,
            "resumed_at": [],
            "started_at": _now(),
        }
        self.busy = 0.0  # seconds spent on checkpoints and resume states in this session
        self.provenance: dict | None = None  # versions and git, once per session

    # --- records ---------------------------------------------------------------------------
    def wall(self) -> float:
        return self.record["wall_s"] + time.perf_counter() - self.t_start

    def results(self, status: str) -> PretrainResults:
        from forgetlab.runs.provenance import git_info, versions

        if self.provenance is None:
            self.provenance = {"versions": versions(), "git": git_info().model_dump()}
        rec, plan = self.record, self.plan
        last = rec["checkpoints"][-1] if rec["checkpoints"] else None
        rate = plan.tokens_per_step * rec["step"] / rec["train_s"] if rec["train_s"] else None
        shape = {k: v for k, v in vars(plan.shape).items()}
        return PretrainResults(
            status=status,
            name=self.spec.name,
            seed=self.spec.seed,
            device=str(self.device),
            precision=self.spec.train.precision,
            model=PretrainModelInfo(
                name=str(self.root),
                family=self.spec.model.family,
                total_params=self.params,
                embedding_params=plan.embedding_params,
                pretrain_tokens=rec["step"] * plan.tokens_per_step,
                shape=shape,
            ),
            vocab_size=plan.vocab,
            corpus=self.corpus_info,
            tokens_per_step=plan.tokens_per_step,
            total_steps=plan.total_steps,
            steps_done=rec["step"],
            tokens_seen=rec["step"] * plan.tokens_per_step,
            checkpoints=[CheckpointRecord(**c) for c in rec["checkpoints"]],
            log=[LogRecord(**r) for r in rec["log"]],
            metrics={
                "heldout_ppl": last["heldout_ppl"] if last else None,
                "heldout_loss": last["heldout_loss"] if last else None,
                "tokens_per_s": rate,
            },
            train_s=round(rec["train_s"], 3),
            wall_time_s=round(self.wall(), 3),
            tokens_per_s=rate,
            started_at=rec["started_at"],
            finished_at=_now() if status == "complete" else None,
            versions=self.provenance["versions"],
            git=self.provenance["git"],
            resumed_at=rec["resumed_at"],
        )

    def write_results(self, status: str) -> None:
        atomic_write(
            self.root / "results.json", self.results(status).model_dump_json(indent=2) + "\n"
        )

    # --- the steps ---------------------------------------------------------------------------
    def checkpoint(self, step: int, train_loss: float | None) -> None:
        t0 = time.perf_counter()
        tokens = step * self.plan.tokens_per_step
        loss, scored = heldout_loss(
            self.model, self.heldout_blocks, self.spec.train.eval_batch_size, self.device
        )
        info = {
            "tokens": tokens,
            "step": step,
            "path": f"checkpoints/{checkpoint_dirname(tokens)}",
            "heldout_loss": loss,
            "heldout_ppl": perplexity(loss),
            "heldout_tokens": scored,
            "train_loss": train_loss,
            "wall_time_s": round(self.wall(), 3),
            "params": self.params,
        }
        run_state.save_checkpoint(self.root, self.model, self.tokenizer, info)
        self.record["checkpoints"].append(info)
        self.busy += time.perf_counter() - t0
        self.say(f"checkpoint {tokens:,} tokens: held-out perplexity {info['heldout_ppl']:.2f}")

    def save_resume(self) -> None:
        t0 = time.perf_counter()
        self.record["window"] = [float(self.window_loss), self.window_steps]
        run_state.save_resume(
            self.root, self.model, self.optimizer, self.scheduler, self.snapshot()
        )
        self.write_results("running")
        self.busy += time.perf_counter() - t0

    def snapshot(self) -> dict:
        return {**self.record, "wall_s": self.wall()}

    def say(self, line: str) -> None:
        if self.log is not None:
            self.log(line)

    def log_window(self, step: int) -> str:
        """Close the logging window: mean loss (the one host sync), tokens/s, ETA."""
        tps, total = self.plan.tokens_per_step, self.plan.total_steps
        self.last_loss = float(self.window_loss / self.window_steps)
        now = time.perf_counter()
        seconds = max(now - self.window_t - (self.busy - self.window_busy), 1e-9)
        rate = self.window_steps * tps / seconds
        self.record["train_s"] += seconds
        self.record["log"].append(
            {
                "step": step,
                "tokens": step * tps,
                "loss": self.last_loss,
                "lr": self.scheduler.get_last_lr()[0],
                "tokens_per_s": rate,
            }
        )
        self.open_window()
        eta = (total - step) * tps / rate
        return f"loss {self.last_loss:.3f}  {rate:,.0f} tok/s  ETA {eta / 60:.1f} min"

    def open_window(self, loss: float = 0.0, steps: int = 0) -> None:
        self.window_loss = torch.tensor(loss, device=self.device)
        self.window_steps = steps
        self.window_t, self.window_busy = time.perf_counter(), self.busy

    def train(self) -> None:
        spec, plan = self.spec.train, self.plan
        tps, total = plan.tokens_per_step, plan.total_steps
        due = set(plan.checkpoint_steps)
        saved = {c["step"] for c in self.record["checkpoints"]}
        step = self.record["step"]
        self.open_window(*self.record.get("window", [0.0, 0]))
        self.last_loss = self.record["log"][-1]["loss"] if self.record["log"] else None
        per_step = spec.batch_size * spec.grad_accum
        with progress_bar(self.progress) as bar:
            task = bar.add_task(
                self.spec.name, total=total * tps, completed=step * tps, info="starting"
            )
            while True:
                if step in due and step not in saved:
                    self.checkpoint(step, self.last_loss if step else None)
                    saved.add(step)
                    self.write_results("running")
                    if 0 < step < total:
                        self.save_resume()
                if step >= total:
                    break
                idx = self.order.indices(step * per_step, per_step)
                micro = [
                    self.train_blocks[idx[m * spec.batch_size : (m + 1) * spec.batch_size]]
                    for m in range(spec.grad_accum)
                ]
                self.window_loss += train_step(
                    self.model, self.optimizer, self.scheduler, micro, spec, self.device, self.moe
                )
                step += 1
                self.window_steps += 1
                self.record["step"] = step
                if step % spec.log_every == 0 or step == total:
                    info = self.log_window(step)
                    bar.update(task, completed=step * tps, info=info)
                    self.say(f"step {step}/{total} ({step * tps:,} tokens): {info}")
                else:
                    bar.update(task, completed=step * tps)
                if step % spec.resume_every == 0 and step < total and step not in due:
                    self.save_resume()

    # --- entry points --------------------------------------------------------------------------
    def start(self) -> PretrainResult:
        atomic_write(self.root / "spec.toml", dump_pretrain_spec(self.spec))
        p = self.plan
        self.say(
            f"{self.spec.model.family}: {self.params:,} parameters (layers {p.shape.layers}, "
            f"hidden {p.shape.hidden}); {p.total_steps} steps of {p.tokens_per_step:,} tokens; "
            f"checkpoints at {p.checkpoint_tokens}"
        )
        self.write_results("running")
        return self.finish()

    def go_on(self) -> PretrainResult:
        self.record = run_state.load_resume(self.root, self.model, self.optimizer, self.scheduler)
        self.record["resumed_at"] = [*self.record["resumed_at"], self.record["step"]]
        self.t_start = time.perf_counter()
        self.say(f"resumed at step {self.record['step']}")
        return self.finish()

    def finish(self) -> PretrainResult:
        self.train()
        self.write_results("complete")
        run_state.drop_resume(self.root)
        results = PretrainResults.model_validate_json((self.root / "results.json").read_text())
        return PretrainResult(self.root, results)


def pretrain(
    spec: PretrainSpec,
    out: str | Path | None = None,
    overwrite: bool = False,
    progress: bool = False,
    log: Callable[[str], None] | None = None,
) -> PretrainResult:
    """Pretrain `spec` into `out` (default runs/pretrain/<name>); `log` receives progress
    lines (tokens/s, ETA, checkpoints)."""
    from forgetlab.runs.store import RunStore

    root = Path(out) if out is not None else Path("runs") / "pretrain" / spec.name
    session = _Pretraining(spec, root, progress, log)  # a bad corpus fails before any write
    store = RunStore(root)
    store.create(overwrite)  # a replaced run is set aside, not deleted (runs.guard)
    try:
        result = session.start()
    except BaseException:
        # the new run keeps the directory once it has a resume state; else the old comes back
        store.commit() if run_state.has_resume(root) else store.rollback()
        raise
    finally:
        store.release()
    store.commit()
    return result


def resume_pretrain(
    run_dir: str | Path, progress: bool = False, log: Callable[[str], None] | None = None
) -> PretrainResult:
    """Go on with a killed pretraining run from its last resume state."""
    root = Path(run_dir)
    if not (root / "spec.toml").is_file():
        raise RunDirError(f"{str(root)!r} is not a pretraining run directory (no spec.toml)")
    try:
        status = json.loads((root / "results.json").read_text()).get("status")
    except (OSError, ValueError):
        status = None
    if status == "complete":
        raise RunDirError(f"pretraining run {str(root)!r} is already complete")
    if not run_state.has_resume(root):
        raise RunDirError(
            f"pretraining run {str(root)!r} has no resume state (killed before its first "
            "save); start it again"
        )
    session = _Pretraining(load_pretrain_spec(root / "spec.toml"), root, progress, log)
    from forgetlab.runs.store import RunStore

    store = RunStore(root)
    store.lock()  # one process per run directory
    try:
        return session.go_on()
    finally:
        store.release()
