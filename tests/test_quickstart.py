"""The quickstart itself (real MiniLM, about 2 minutes on 2 cores): marked slow."""

from __future__ import annotations

from pathlib import Path

import pytest

import forgetlab
from forgetlab.spec import load_spec


@pytest.mark.slow
def test_quickstart_shows_forgetting(tmp_path: Path):
    res = forgetlab.run(load_spec(), out=tmp_path / "qs")
    R = res.accuracy_matrix
    assert R.shape == (5, 5)
    assert R[0, 0] > 0.8  # task 0 learned...
    assert R[-1, 0] < R[0, 0] - 0.5  # ...and far below that at the end
    assert res.metrics["average_forgetting"] > 0.5
    assert res.metrics["learning_accuracy"] > 0.8
