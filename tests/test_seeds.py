"""Claims with seeds: `forgetlab run --seeds N` / `seeds = [...]` run once per seed and
summarise every metric with its mean and 95% Student-t interval."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tomli_w
from scipy import stats

from forgetlab.seeds import seeds_of, summarize
from forgetlab.spec import spec_from_dict
from forgetlab.sweeps.grid import expand
from forgetlab.sweeps.spec import SweepSpec
from tests.conftest import cli, tiny_wordnet


def results(avg: float, fwt, R) -> dict:
    return {
        "name": "x",
        "tasks": ["a", "b"],
        "metrics": {"average_accuracy": avg, "fwt": fwt},
        "metric_notes": {"fwt": "undefined"} if fwt is None else {},
        "accuracy_matrix": R,
        "initial_accuracy": [0.5, 0.5],
    }


def test_summary_means_and_t_intervals_by_hand():
    runs = [
        results(0.5, None, [[0.9, 0.1], [0.2, 0.8]]),
        results(0.7, None, [[0.7, 0.1], [0.4, 0.8]]),
        results(0.6, None, [[0.8, 0.1], [0.3, 0.8]]),
    ]
    s = summarize(runs, [0, 1, 2])
    avg = s["metrics"]["average_accuracy"]
    half = stats.t.ppf(0.975, 2) * 0.1 / 3**0.5  # sample std 0.1, n 3
    assert avg["mean"] == pytest.approx(0.6) and avg["std"] == pytest.approx(0.1)
    assert (avg["ci95_low"], avg["ci95_high"]) == pytest.approx((0.6 - half, 0.6 + half))
    assert avg["values"] == [0.5, 0.7, 0.6] and avg["n"] == 3
    assert s["metrics"]["fwt"]["mean"] is None and s["metrics"]["fwt"]["n"] == 0
    assert s["metric_notes"]["fwt"] == "undefined (3 of 3 seeds)"
    R = s["accuracy_matrix"]
    assert np.allclose(R["mean"], [[0.8, 0.1], [0.3, 0.8]])
    assert R["ci95_low"][0][1] == pytest.approx(0.1)  # no spread: a zero-width interval
    assert R["ci95_high"][0][0] == pytest.approx(0.8 + half)


def test_seeds_field_and_flag_choose_the_seeds():
    spec = spec_from_dict({**tiny_wordnet(), "seed": 4, "seeds": [7, 9]})
    assert seeds_of(spec) == [7, 9]
    assert seeds_of(spec, 3) == [4, 5, 6]  # --seeds 3 counts from `seed`
    base = spec.model_dump(mode="json", exclude_none=True)
    cells = expand(SweepSpec(name="s", base=base))  # a sweep over a spec with seeds
    assert [c.seed for c in cells] == [7, 9]
    assert all("seeds" not in c.data for c in cells)  # each cell is one seed


def test_run_with_seeds_writes_one_run_per_seed_and_the_summary(tmp_path: Path, capsys):
    d = tiny_wordnet(n_tasks=2, train_per_class=12, test_per_class=6)
    d["train"]["epochs"] = 1
    spec = tmp_path / "exp.toml"
    spec.write_text(tomli_w.dumps(d))
    out = tmp_path / "seeds"
    code, stdout, err = cli(capsys, "run", str(spec), "--seeds", "2", "--out", str(out), "--quiet")
    assert code == 0, err
    summary = json.loads((out / "seeds.json").read_text())
    assert summary["seeds"] == [0, 1]
    per_seed = [json.loads((Path(p) / "results.json").read_text()) for p in summary["run_dirs"]]
    assert [r["seed"] for r in per_seed] == [0, 1]
    for name, entry in summary["metrics"].items():
        assert entry["values"] == [r["metrics"][name] for r in per_seed]
    assert summary["metrics"]["fwt"]["values"] == [None, None]  # classifier: null, noted
    assert (out / "report.html").is_file()
    html = (out / "report.html").read_text()
    avg = summary["metrics"]["average_accuracy"]
    assert f"{avg['mean']:.3f} [{avg['ci95_low']:.3f}, {avg['ci95_high']:.3f}]" in html
    assert "average_accuracy" in stdout and f"{avg['mean']:.3f}" in stdout


def test_seed_fields_in_a_spec_take_its_seed_for_every_replicate():
    """`seed_fields = ["stream.seed"]` in an experiment spec: the stream's seed follows the
    spec's seed, in a single run and in each cell of its seeds (a class set per replicate)."""
    from forgetlab.errors import SpecError

    data = {**tiny_wordnet(), "seed": 4, "seed_fields": ["stream.seed"], "seeds": [0, 1, 2]}
    spec = spec_from_dict(data)
    assert spec.stream.seed == 4 and spec.seed_fields == ("stream.seed",)
    base = spec.model_dump(mode="json", exclude_none=True)
    base.pop("seeds")
    cells = expand(SweepSpec(name="s", base=base, seeds=seeds_of(spec)))
    streams = [spec_from_dict(c.data).stream.seed for c in cells]
    assert streams == [0, 1, 2]
    assert spec_from_dict({**tiny_wordnet(), "seed": 4}).stream.seed == tiny_wordnet()[
        "stream"
    ].get("seed", 0)
    with pytest.raises(SpecError, match="seed_fields: 'seeds' cannot take the seed"):
        spec_from_dict({**tiny_wordnet(), "seed_fields": ["seeds"]})
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="seed_fields.*is also an axis"):
        SweepSpec(name="s", base=data, axes={"stream.seed": [0, 1]})
