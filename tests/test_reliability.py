"""Long streams and failures: memory per stage stays flat over 20 tasks; a NaN loss stops
the run with a clear error and keeps every finished stage (resumable)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

import forgetlab.experiment as experiment
import forgetlab.train.loop as loop
import forgetlab.train.stream as stream_loop
from forgetlab.spec import spec_from_dict
from forgetlab.train.loop import NonFiniteLossError
from tests.conftest import tiny_wordnet


def test_the_rss_peak_can_be_reset():
    # Without a reset every stage's "peak" is the process's peak so far: a flat curve would
    # then prove nothing. Fail (not skip) where /proc/self/clear_refs cannot be written.
    import numpy as np

    from forgetlab.runs.memory import peaks, reset_peaks

    big = np.ones(256 * 2**20 // 8)  # touch 256 MiB, then free it
    big[::512] += 1
    del big
    before = peaks()["peak_rss_mb"]
    assert reset_peaks(), "cannot reset the RSS peak (/proc/self/clear_refs is not writable)"
    assert peaks()["peak_rss_mb"] < before - 128  # the freed 256 MiB left the peak


def test_memory_does_not_grow_over_a_20_task_stream(tmp_path: Path):
    d = tiny_wordnet(n_tasks=20, classes_per_task=2, train_per_class=8, test_per_class=4)
    d["train"].update({"epochs": 1, "batch_size": 8})
    res = experiment.run(spec_from_dict(d), out=tmp_path / "long")
    peaks = [s.peak_rss_mb for s in res.results.stages]
    assert len(peaks) == 20 and all(p is not None and p > 0 for p in peaks)
    resets = [s.model_dump()["rss_reset"] for s in res.results.stages]
    assert all(resets), "the per-stage RSS peak was not reset: these peaks are process-wide"
    early, late = max(peaks[1:5]), max(peaks[-5:])
    assert late <= early + 64, f"peak RSS grew from {early:.0f} MB to {late:.0f} MB"


def test_nan_loss_stops_with_a_clear_error_and_keeps_finished_stages(tmp_path: Path, monkeypatch):
    spec = spec_from_dict(tiny_wordnet())
    real = loop.train_stage

    def poisoned(ctx, strategies, *args):
        if ctx.stage == 1:  # from stage 1 on, every loss is NaN
            forward = ctx.learner.forward

            def nan_forward(*a, **k):
                out = forward(*a, **k)
                return dataclasses.replace(out, loss=out.loss * float("nan"))

            ctx.learner.forward = nan_forward
        return real(ctx, strategies, *args)

    monkeypatch.setattr(stream_loop, "train_stage", poisoned)
    out = tmp_path / "nan"
    with pytest.raises(NonFiniteLossError, match="stage 1"):
        experiment.run(spec, out=out)
    kept = json.loads((out / "results.json").read_text())
    assert kept["status"] == "running" and len(kept["accuracy_matrix"]) == 1
    assert (out / "resume" / "LATEST").read_text().strip() == "stage-000"
