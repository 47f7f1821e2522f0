"""A run trains on the transformed stream and records it (needs experiment.run to build its
stream with `build_experiment_stream`)."""

from __future__ import annotations

from forgetlab.experiment import run
from forgetlab.spec import spec_from_dict
from tests.conftest import tiny_wordnet


def test_run_trains_on_the_transformed_stream(tmp_path):
    data = tiny_wordnet(n_tasks=2, classes_per_task=2, train_per_class=10, test_per_class=5)
    data["train"] = {**data["train"], "epochs": 1}
    data["transform"] = [{"kind": "order", "order": [1, 0]}, {"kind": "duplicate", "factor": 3}]
    plain = spec_from_dict({k: v for k, v in data.items() if k != "transform"})
    res = run(spec_from_dict(data), out=tmp_path / "run").results
    assert res.stream == "wordnet-cil+order(1,0)+duplicate(3)"
    assert [s.examples for s in res.stages] == [60, 60]  # 2 classes x 10 glosses x 3
    assert res.tasks == list(reversed(run(plain, out=tmp_path / "plain").results.tasks))
