"""`[probe]` inside a run: results.json gains `probing`, scores.csv gains probe rows with their
layer, and a run killed after stage 0 and resumed gives the same probing figures."""

from __future__ import annotations

import csv
from pathlib import Path

import forgetlab.experiment as experiment
from forgetlab.spec import spec_from_dict
from tests.conftest import killed_after_stage_0, tiny_wordnet


def probe_spec():
    d = tiny_wordnet(train_per_class=24, test_per_class=8)
    d["train"]["epochs"] = 1
    d["probe"] = {"train_per_class": 8}
    return spec_from_dict(d)


def test_probing_in_a_run_and_after_resume(tmp_path: Path):
    spec = probe_spec()
    full = experiment.run(spec, out=tmp_path / "full")
    P = full.results.probing
    T = len(full.results.tasks)
    assert P is not None and len(P.accuracy_matrix) == T
    assert all(P.accuracy_matrix[i][j] is None for i in range(T) for j in range(i + 1, T))
    assert all(0.0 <= P.accuracy_matrix[i][j] <= 1.0 for i in range(T) for j in range(i + 1))
    assert P.layers[0] == 0 and len(P.layers) == 3  # tiny-bert: embeddings + 2 layers
    # the evaluation pass hands the model's own hits to the prober: P vs R is tested on
    # every seen task of every stage
    vs_model = P.by_probe[P.probes[0]].test_vs_model
    assert all(vs_model[i][j] is not None for i in range(T) for j in range(i + 1))
    rows = list(csv.DictReader((full.run_dir / "scores.csv").open()))
    probe_rows = [r for r in rows if r["metric"] == "probe_acc"]
    assert probe_rows and all(r["layer"] != "" for r in probe_rows)

    killed_after_stage_0(spec, tmp_path / "killed")
    resumed = experiment.resume(tmp_path / "killed").results
    assert resumed.accuracy_matrix == full.results.accuracy_matrix
    assert resumed.probing.accuracy_matrix == P.accuracy_matrix
    assert resumed.probing.by_probe[P.probes[0]].test_vs_model == vs_model
    assert resumed.probing.by_probe["prototype"].accuracy_matrix == (
        P.by_probe["prototype"].accuracy_matrix
    )
