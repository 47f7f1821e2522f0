"""The Ray backend on a local Ray instance started for the sweep: 2 cells, 2 CPUs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import ray
import tomli_w

from forgetlab.sweeps import load_sweep_spec, run_sweep


def test_two_cells_as_ray_tasks_on_a_local_instance(tmp_path: Path, toy_files):
    train, test = toy_files
    base = {
        "model": {"name": "tiny-bert"},
        "stream": {"kind": "files", "train": str(train), "test": str(test)},
        "train": {"epochs": 1, "lr": 2e-3, "batch_size": 16, "checkpoint": "none"},
    }
    path = tmp_path / "ray.toml"
    path.write_text(
        tomli_w.dumps({"base": base, "seeds": [0, 1], "backend": {"kind": "ray", "workers": 2}})
    )
    sweep = run_sweep(load_sweep_spec(path), out=tmp_path / "out")
    assert not ray.is_initialized()  # the instance started for the sweep is shut down
    cells = json.loads((tmp_path / "out" / "cells.json").read_text())["cells"]
    assert [c["status"] for c in cells] == ["done", "done"], [c["error"] for c in cells]
    # each cell ran in a Ray worker process (not here) with num_cpus = 1 torch thread
    assert all(int(c["worker"].rsplit(":", 1)[1]) != os.getpid() for c in cells)
    assert [c["threads"] for c in cells] == [1, 1]
    for c in cells:
        res = json.loads((tmp_path / "out" / c["run_dir"] / "results.json").read_text())
        assert res["status"] == "complete" and res["seed"] == c["seed"]
    assert sweep.grouped.loc[0, "cells"] == 2 and sweep.grouped.loc[0, "average_accuracy_n"] == 2
