"""Forward transfer read by a probe (`probe_fwt`): P[j-1][j] (a linear probe on the model
after stage j-1, fit with stage j's classes) minus the untrained model's P0[j]. Null effect:
a backbone that never trains (method `head`) gives the same features, so exactly zero."""

from __future__ import annotations

from pathlib import Path

import pytest

import forgetlab.experiment as experiment
from forgetlab.spec import spec_from_dict
from tests.conftest import tiny_wordnet


def probed(method: str) -> dict:
    d = tiny_wordnet(train_per_class=20, test_per_class=10)
    d["train"]["epochs"] = 1
    d["method"] = {"kind": method}
    d["probe"] = {"probes": ["linear"], "layers": [-1], "cka": False, "geometry": False}
    return d


def test_a_frozen_backbone_has_no_representation_transfer(tmp_path: Path):
    res = experiment.run(spec_from_dict(probed("head")), out=tmp_path / "head").results
    t = res.model_dump()["probe_transfer"]
    assert t["ahead"][0] is None and all(a is not None for a in t["ahead"][1:])
    assert t["ahead"][1:] == t["baseline"][1:]  # the same features, subsample and probe
    assert res.metrics["probe_fwt"] == 0.0
    assert res.metrics["fwt"] is None and "classifier" in res.metric_notes["fwt"]


def test_trained_backbone_transfer_is_the_mean_gain(tmp_path: Path):
    res = experiment.run(spec_from_dict(probed("full")), out=tmp_path / "full").results
    t = res.model_dump()["probe_transfer"]
    gains = [a - z for a, z in zip(t["ahead"][1:], t["baseline"][1:])]
    assert t["gain"][1:] == pytest.approx(gains)
    assert res.metrics["probe_fwt"] == pytest.approx(sum(gains) / len(gains))
    assert t["ahead"][1:] != t["baseline"][1:]  # training moved the features
    # stage j-1's record holds P[j-1][j]
    assert [s.model_dump().get("probe_ahead") for s in res.stages] == [*t["ahead"][1:], None]
