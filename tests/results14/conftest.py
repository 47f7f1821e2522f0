"""Two small finished runs (seq and ewc at another lr), shared by the tests of this folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import tiny_wordnet


def tiny_spec(**over):
    from forgetlab.spec import spec_from_dict

    data = tiny_wordnet(n_tasks=2, train_per_class=30, test_per_class=10)
    data["train"]["epochs"] = 1
    data.update(over)
    return spec_from_dict(data)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> tuple[Path, Path]:
    """(runs/seq, runs/ewc): seq at the default lr, ewc at lr 1e-3 and seed 1."""
    from forgetlab import experiment

    root = tmp_path_factory.mktemp("runs")
    seq = experiment.run(tiny_spec(), out=root / "seq", report=False)
    ewc = experiment.run(
        tiny_spec(
            seed=1,
            strategy={"kind": "ewc"},
            train={"epochs": 1, "lr": 1e-3, "batch_size": 16, "checkpoint": "none"},
        ),
        out=root / "ewc",
        report=False,
    )
    return seq.run_dir, ewc.run_dir
