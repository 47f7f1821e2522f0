"""The typed contents of `results.json`, the contract users and later tools read."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StageRecord(BaseModel):
    """What one stage (training on one task, then evaluating all tasks) cost and gave."""

    stage: int
    task: str
    train_s: float
    eval_s: float
    steps: int
    examples: int
    tokens: int
    padded_tokens: int
    mean_loss: float
    last_loss: float
    accuracy: list[float]
    strategy_s: dict[str, float] = {}  # seconds inside each strategy's hooks


class ModelInfo(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    name: str
    mode: str
    total_params: int
    trainable_params: int
    trainable_fraction: float


class GitInfo(BaseModel):
    commit: str | None
    dirty: bool | None
    branch: str | None


class RunResults(BaseModel):
    """`results.json`. Figures over no task (e.g. BWT of one task) are null."""

    model_config = ConfigDict(protected_namespaces=())

    status: str  # "running" while stages remain, "complete" at the end
    name: str
    seed: int
    device: str
    scenario: str
    stream: str
    tasks: list[str]
    classes: list[str]
    task_hashes: dict[str, str]
    model: ModelInfo
    method: str
    strategies: list[str]
    strategy_cost: dict[str, dict[str, float]] = {}  # per strategy: seconds, state_bytes
    strategy_info: dict[str, dict] = {}  # per strategy: its own summary (e.g. LAMOL samples)
    initial_accuracy: list[float]
    accuracy_matrix: list[list[float]]
    test_counts: list[int]
    metrics: dict[str, float | None]
    stages: list[StageRecord]
    initial_eval_s: float
    wall_time_s: float
    started_at: str
    finished_at: str | None
    versions: dict[str, str]
    git: GitInfo
