"""The `probing` object of results.json (and of `forgetlab probe` / `probe-checkpoints`).

Indices: `stage` 0..T-1 (rows of R), `task` 0..T-1, `layer` a position in `layers`
(layer numbers: 0 = embedding output, k = after block k). Per-stage lists have a row for
every stage up to the last one probed (like R during a run); accuracies of tasks not yet
seen at a stage, and rows of stages not probed, are null. The baseline P0 of stage i is
the untrained model probed with stage i's seen classes.
"""

from __future__ import annotations

from pydantic import BaseModel

Matrix = list[list[float | None]]


class ProbeKindResults(BaseModel):
    """One probe kind: P, its baseline P0 (the model before fine-tuning, fit on each stage's
    seen classes) and the gaps."""

    accuracy_matrix: Matrix  # P[stage][task] at the last probed layer
    best_layer_accuracy_matrix: Matrix  # P at best_layer[stage]
    best_layer: list[int | None]  # per stage: the layer with the highest mean over seen tasks
    layer_accuracy: list[Matrix]  # [stage][layer][task]
    baseline_accuracy_matrix: Matrix  # P0[stage][task] at the last probed layer
    baseline_layer_accuracy: list[Matrix]  # P0 [stage][layer][task]
    gap_vs_model: Matrix | None  # P - R (last layer); None when R was not given
    gap_vs_baseline: Matrix  # P - P0 (last layer)


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
    seconds: list[float | None]  # [stage] wall time spent probing after that stage
    baseline_seconds: float | None  # probing the model before fine-tuning (all stages' P0)


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
    best_layer: dict[str, list[int]]  # kind -> [checkpoint]
    zero_shot_accuracy: Matrix | None  # [checkpoint][task]: the model's own prediction
    cka_vs_previous: Matrix  # [checkpoint][layer], first row null; task 0's test examples
    separability: Matrix  # [checkpoint][task] at the last layer
    seconds: list[float]
