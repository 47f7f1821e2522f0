"""The `probing` object of results.json (and of `forgetlab probe` / `probe-checkpoints`).

Indices: `stage` 0..T-1 (rows of R), `task` 0..T-1, `layer` a position in `layers`
(layer numbers: 0 = embedding output, k = after block k). Per-stage lists have a row for
every stage up to the last one probed (like R during a run); accuracies of tasks not yet
seen at a stage, and rows of stages not probed, are null. The baseline P0 of stage i is
the untrained model probed with stage i's seen classes, on the same examples.

Accuracies are means over the `subsamples` probes fit at each cell; an interval is
[low, high], the 95% Student-t interval of that mean over subsamples (null with one
subsample). A paired test compares P with P0 or R on the same test examples: `diff`, its
95% bootstrap interval [`low`, `high`] over test examples and subsamples, and a two-sided
p-value. Fields added after the first version have defaults, so older results still load.
"""

from __future__ import annotations

from pydantic import BaseModel

Matrix = list[list[float | None]]
Intervals = list[list[list[float] | None]]  # [stage][task] -> [low, high] or null


class PairedTestResult(BaseModel):
    diff: float  # mean accuracy difference (P - P0, or P - R)
    low: float  # 95% interval of the difference
    high: float
    p: float  # two-sided p-value for "no difference"


Tests = list[list[PairedTestResult | None]]  # [stage][task]


class ProbeKindResults(BaseModel):
    """One probe kind: P, its baseline P0 (the model before fine-tuning, fit on each stage's
    seen classes), the gaps and their paired tests."""

    accuracy_matrix: Matrix  # P[stage][task] at the last probed layer
    accuracy_interval: Intervals = []  # its interval over subsamples
    best_layer_accuracy_matrix: Matrix  # P at best_layer[stage]
    best_layer_accuracy_interval: Intervals = []
    # per stage: the layer with the highest mean validation accuracy over seen tasks
    # (validation rows come from the training split; never chosen on test examples)
    best_layer: list[int | None]
    layer_accuracy: list[Matrix]  # [stage][layer][task]
    validation_layer_accuracy: list[Matrix] = []  # [stage][layer][task], validation rows
    baseline_accuracy_matrix: Matrix  # P0[stage][task] at the last probed layer
    baseline_accuracy_interval: Intervals = []
    baseline_layer_accuracy: list[Matrix]  # P0 [stage][layer][task]
    gap_vs_model: Matrix | None  # P - R (last layer); None when R was not given
    gap_vs_baseline: Matrix  # P - P0 (last layer)
    # paired tests at the last layer; null where the model's per-example hits (vs_model) or
    # the baseline (vs_baseline) were not recorded
    test_vs_model: Tests = []
    test_vs_baseline: Tests = []


class ProbingResults(BaseModel):
    layers: list[int]
    pooling: str
    probes: list[str]
    accuracy_matrix: Matrix  # P of the primary probe (linear, else the first) at the last layer
    best_layer_accuracy_matrix: Matrix  # the primary probe's P at its best layer per stage
    by_probe: dict[str, ProbeKindResults]
    # linear CKA of each layer's features after stage i vs after stage i-1 (stage 0: vs the
    # model before fine-tuning), on the test examples of task 0: [stage][layer]
    cka: Matrix
    separability: Matrix  # [stage][task] at the last layer, test features; null if unseen
    overlap: list[float | None]  # [stage]: old classes (tasks < stage) vs the new task's
    baseline_separability: list[float | None]  # [task], the model before fine-tuning
    baseline_overlap: list[float | None]  # [stage], the model before fine-tuning
    seconds: list[float | None]  # [stage] wall time spent probing after that stage (with P0)
    baseline_seconds: float | None  # extracting the untrained model's features, geometry
    subsamples: int = 1  # probes fit per cell, each on its own subsample of the pool
    train_per_class: int | None = None  # training examples per class of each subsample
    validation_per_class: int | None = None  # the rest of the pool per class: validation
    seed: int | None = None  # the run's seed, which (with probe_seed) drew the examples
    probe_seed: int | None = None
    interval_level: float = 0.95


class CheckpointProbing(BaseModel):
    """`forgetlab probe-checkpoints`: checkpoints of one model probed on the same tasks,
    without fine-tuning; probes fit on every class of the stream (class-incremental) or on
    each task's classes (task-incremental)."""

    checkpoints: list[str]
    tasks: list[str]
    layers: list[int]
    pooling: str
    probes: list[str]
    accuracy: dict[str, list[Matrix]]  # kind -> [checkpoint][layer][task]
    last_layer_accuracy: dict[str, Matrix]  # kind -> [checkpoint][task]
    best_layer: dict[str, list[int]]  # kind -> [checkpoint], chosen on validation rows
    zero_shot_accuracy: Matrix | None  # [checkpoint][task]: the model's own prediction
    cka_vs_previous: Matrix  # [checkpoint][layer], first row null; task 0's test examples
    separability: Matrix  # [checkpoint][task] at the last layer
    seconds: list[float]
