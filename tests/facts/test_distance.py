"""Forgetting and accuracy as functions of the distance between learning and testing."""

from __future__ import annotations

import numpy as np
import pytest

from forgetlab.metrics.distance import accuracy_by_distance, forgetting_by_distance

R = [
    [1.0, 0.1, 0.0, 0.0],
    [0.75, 0.9, 0.2, 0.1],
    [0.5, 0.6, 0.8, 0.3],
    [0.25, 0.3, 0.4, 0.7],
]


def test_hand_computed():
    # d=1: (1-.75) + (.9-.6) + (.8-.4) = .25 + .3 + .4 over 3;  d=2: (1-.5) + (.9-.3) over 2;
    # d=3: 1 - .25
    assert forgetting_by_distance(R) == pytest.approx([0.95 / 3, 0.55, 0.75])
    # d=0: diagonal; d=1: (.75+.6+.4)/3; d=2: (.5+.3)/2; d=3: .25
    assert accuracy_by_distance(R) == pytest.approx([0.85, 1.75 / 3, 0.4, 0.25])


def test_edges():
    assert forgetting_by_distance([[0.7]]).shape == (0,)
    assert accuracy_by_distance([[0.7]]) == pytest.approx([0.7])
    constant = np.tile([0.5, 0.6, 0.7], (3, 1))  # nothing forgotten at any distance
    assert forgetting_by_distance(constant) == pytest.approx([0.0, 0.0])
    with pytest.raises(ValueError, match="square"):
        forgetting_by_distance([[1.0, 0.5]])
