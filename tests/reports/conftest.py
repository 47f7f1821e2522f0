"""A real tiny run (tiny-bert, 3 tasks), made once per test session for the report tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import tiny_wordnet
from tests.reports.helpers import probing_dict


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    from forgetlab.experiment import run
    from forgetlab.spec import spec_from_dict

    data = tiny_wordnet(train_per_class=30, test_per_class=10)
    data["train"]["epochs"] = 1
    out = tmp_path_factory.mktemp("reports") / "tiny"
    run(spec_from_dict(data), out=out)
    return out


@pytest.fixture
def tiny_run_with_probing(tiny_run: Path, tmp_path: Path) -> Path:
    """A copy of the tiny run whose results.json gained `probing` and `group_accuracy`."""
    out = tmp_path / "probed"
    shutil.copytree(tiny_run, out, ignore=shutil.ignore_patterns("report.html", "figures"))
    res = json.loads((out / "results.json").read_text())
    res["probing"] = probing_dict()
    for stage in res["stages"]:
        stage["group_accuracy"] = {res["tasks"][0]: {"head": 0.9, "tail": 0.25 * stage["stage"]}}
    (out / "results.json").write_text(json.dumps(res))
    return out
