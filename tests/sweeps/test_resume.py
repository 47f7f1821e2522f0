"""Failure isolation and resume: a failed cell is recorded, not fatal; a re-run skips done
cells, retries failed ones and reruns killed ones (tiny-bert, one worker)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from forgetlab.sweeps import execute, load_sweep_spec, plan_sweep, run_sweep
from tests.sweeps.helpers import mtimes, toy_base, write


def test_a_failed_cell_is_recorded_then_retried_and_a_killed_one_rerun(tmp_path: Path, toy_files):
    train, test = toy_files
    same = shutil.copy(train, tmp_path / "same.jsonl")
    other = shutil.copy(train, tmp_path / "other.jsonl")
    path = write(
        tmp_path / "f.toml",
        {
            "base": toy_base(train, test),
            "axes": {"stream.train": [str(train), str(same), str(other)]},
            "backend": {"workers": 1},
        },
    )
    plan = plan_sweep(load_sweep_spec(path))  # both files exist when the cells are checked
    Path(other).unlink()  # ... and one is gone when its cell runs
    out = tmp_path / "out"
    sweep = execute(plan, out=out)
    index = {c["cell"]: c for c in json.loads((out / "cells.json").read_text())["cells"]}
    assert [c["status"] for c in index.values()] == ["done", "done", "failed"]
    assert index["c002"]["error"] == f"DataError: data file {str(other)!r} does not exist"
    assert "Traceback" in (out / "cells" / "c002" / "traceback.txt").read_text()
    assert list(sweep.cells["status"]) == ["done", "done", "failed"]
    assert len(sweep.grouped) == 2  # the failed cell's group has no done cell
    # c001 was killed mid-run: its results.json still says "running"
    killed = out / "cells" / "c001" / "results.json"
    killed.write_text(killed.read_text().replace('"status": "complete"', '"status": "running"'))
    # re-run: c000 is skipped, c001 rerun, the failed c002 retried (its file is back)
    shutil.copy(train, other)
    first = mtimes(out)
    sweep = run_sweep(load_sweep_spec(path), out=out)
    assert list(sweep.cells["status"]) == ["done"] * 3
    again = mtimes(out)
    assert again["c000"] == first["c000"] and again["c001"] != first["c001"]
    assert "c002" in again and "c002" not in first
    assert json.loads(killed.read_text())["status"] == "complete"
    assert not (out / "cells" / "c002" / "traceback.txt").exists()  # rerun with overwrite
    assert sweep.grouped["cells"].tolist() == [1, 1, 1]


def test_a_killed_cell_goes_on_from_its_last_stage(tmp_path: Path):
    """A cell whose run was killed after stage 0 resumes (same matrix as never killed)."""
    import forgetlab.experiment as experiment
    from forgetlab.spec import dump_spec, spec_from_dict
    from forgetlab.sweeps.cell import run_cell
    from tests.conftest import killed_after_stage_0, tiny_wordnet

    d = tiny_wordnet(train_per_class=20, test_per_class=5)
    d["train"]["epochs"] = 1
    spec = spec_from_dict(d)
    full = experiment.run(spec, out=tmp_path / "full")

    killed_after_stage_0(spec, tmp_path / "cell")
    outcome = run_cell({"cell": "c000", "spec": dump_spec(spec), "run_dir": str(tmp_path / "cell")})
    assert outcome["status"] == "done" and outcome.get("resumed") is True
    resumed = json.loads((tmp_path / "cell" / "results.json").read_text())
    assert resumed["resumed_after"] == [0]
    assert resumed["accuracy_matrix"] == full.results.accuracy_matrix


def test_a_cell_run_before_a_new_spec_field_is_still_done(tmp_path: Path, toy_files):
    """A finished cell whose spec.toml an older forgetlab wrote (no `seed_fields`, a field
    added since with its default) is the same spec: the re-run skips it. A cell whose stored
    spec really differs is rerun."""
    path = write(
        tmp_path / "f.toml",
        {"base": toy_base(*toy_files), "seeds": [0, 1], "backend": {"workers": 1}},
    )
    out = tmp_path / "out"
    run_sweep(load_sweep_spec(path), out=out)
    for cell in ("c000", "c001"):
        stored = out / "cells" / cell / "spec.toml"
        text = stored.read_text()
        assert "seed_fields = []\n" in text
        stored.write_text(text.replace("seed_fields = []\n", ""))
    changed = out / "cells" / "c001" / "spec.toml"
    changed.write_text(changed.read_text().replace("seed = 1", "seed = 7"))
    first = mtimes(out)
    sweep = run_sweep(load_sweep_spec(path), out=out)
    again = mtimes(out)
    assert again["c000"] == first["c000"] and again["c001"] != first["c001"]
    assert list(sweep.cells["status"]) == ["done", "done"]
