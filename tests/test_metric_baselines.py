"""FWT only where it means something, chance and majority baselines, and the flag on a
forgetting figure measured at chance: hand-built matrices and streams with known answers."""

from __future__ import annotations

import pytest

from forgetlab.metrics import MetricInputs, evaluate_metrics, fwt, probe_fwt
from forgetlab.metrics.baselines import (
    CHANCE_MARK,
    MAJORITY_MARK,
    NEAR_CHANCE,
    cell_marks,
    chance_matrix,
    majority_accuracy,
    near_chance,
)
from forgetlab.streams.grouping import Record, TaskData, assemble

R = [[0.9, 0.1, 0.2], [0.6, 0.8, 0.3], [0.3, 0.5, 0.7]]
b = [0.5, 0.2, 0.1]


def test_fwt_is_null_with_a_reason_for_classifiers_and_kept_for_text_to_text():
    chance = [[0.5] * 3] * 3
    values, notes = evaluate_metrics(R, b, MetricInputs(mode="classifier", chance=chance))
    assert values["fwt"] is None
    assert "classifier" in notes["fwt"] and "random head" in notes["fwt"]
    values, notes = evaluate_metrics(R, b, MetricInputs(mode="text_to_text", chance=chance))
    assert values["fwt"] == pytest.approx(((0.1 - 0.2) + (0.3 - 0.1)) / 2) == fwt(R, b)
    assert "fwt" not in notes
    assert "probe_fwt" not in values  # no probing recorded: the metric is left out


def test_probe_fwt_is_the_mean_gain_of_the_probe_before_each_stage():
    ahead, base = [None, 0.7, 0.4], [0.6, 0.5, 0.45]
    assert probe_fwt(ahead, base) == pytest.approx(((0.7 - 0.5) + (0.4 - 0.45)) / 2)
    values, _ = evaluate_metrics(R, b, MetricInputs(probe_ahead=ahead, probe_baseline=base))
    assert values["probe_fwt"] == pytest.approx(0.075)


def _stream(scenario: str):
    """3 tasks: t0 {a, b} with train a,a,a,b and test a,b,b,b; t1 {c, d}; t2 {e, f, g}."""

    def recs(labels):
        return tuple(Record(f"x{i} {label}", label) for i, label in enumerate(labels))

    tasks = [
        TaskData("t0", ("a", "b"), recs("aaab"), recs("abbb")),
        TaskData("t1", ("c", "d"), recs("cddd"), recs("cc")),
        TaskData("t2", ("e", "f", "g"), recs("efg"), recs("efgg")),
    ]
    return assemble("hand", scenario, tasks, prompt="{text}")


def test_chance_follows_the_candidate_set_of_each_cell():
    C = chance_matrix(_stream("class_incremental"))
    # row 0 is before training: task j competes over the classes of tasks 0..j
    assert C[0] == pytest.approx([1 / 2, 1 / 4, 1 / 7])
    assert C[1] == pytest.approx([1 / 2, 1 / 4, 1 / 7])  # after stage 0
    assert C[2] == pytest.approx([1 / 4, 1 / 4, 1 / 7])  # after stage 1: t0 competes with t1
    assert C[3] == pytest.approx([1 / 7] * 3)
    til = chance_matrix(_stream("task_incremental"))
    assert all(row == pytest.approx([1 / 2, 1 / 2, 1 / 3]) for row in til)


def test_majority_is_the_test_share_of_the_most_frequent_training_class():
    # t0: "a" is the training majority; test a,b,b,b -> 1/4 (not the test's own majority)
    # t1: "d" -> test c,c -> 0; t2: a three-way tie -> the lowest id, "e" -> 1/4
    assert majority_accuracy(_stream("class_incremental")) == pytest.approx([0.25, 0.0, 0.25])


def test_cells_at_or_below_chance_and_majority_are_marked():
    chance = [[0.5, 0.25], [0.25, 0.25]]
    majority = [0.6, 0.3]
    marks = cell_marks([[0.9, 0.25], [0.55, 0.3]], chance, majority)
    assert marks == [["", CHANCE_MARK], [MAJORITY_MARK, MAJORITY_MARK]]


def test_forgetting_at_chance_is_flagged_as_uninformative():
    # binary task-incremental tasks learned to 0.503 (O-LoRA on the tiny GPT-2 stream): no
    # forgetting, because nothing was learned
    flat = [[0.503, 0.5, 0.5], [0.503, 0.504, 0.5], [0.503, 0.504, 0.502]]
    chance = [[0.5] * 3] * 3
    values, notes = evaluate_metrics(
        flat, [0.5] * 3, MetricInputs(chance=chance, majority=[0.5] * 3)
    )
    assert values["average_forgetting"] == pytest.approx(0.0)
    assert notes["average_forgetting"].startswith("uninformative")
    assert notes["bwt"].startswith("uninformative")
    learned = [[0.9, 0.5, 0.5], [0.6, 0.9, 0.5], [0.5, 0.5, 0.9]]
    _, notes = evaluate_metrics(learned, [0.5] * 3, MetricInputs(chance=chance, majority=[0.5] * 3))
    assert "average_forgetting" not in notes


def test_the_threshold_is_the_documented_one():
    chance = [[0.5] * 2] * 2
    just_below = 0.5 + NEAR_CHANCE - 1e-6
    assert near_chance([[just_below, 0.5], [0.5, 0.9]], chance) is not None
    assert near_chance([[0.5 + NEAR_CHANCE, 0.5], [0.5, 0.9]], chance) is None
    assert near_chance([[0.6]], [[0.5]]) is None  # one task: nothing to forget
