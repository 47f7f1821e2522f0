"""The typed contents of `results.json`, the contract users and later tools read."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from forgetlab.probing.schema import ProbingResults


class StageRecord(BaseModel):
    """What one stage (training on one task, then evaluating all tasks) cost and gave.
    Observers' per-stage records add their own fields (extra keys are kept)."""

    model_config = ConfigDict(extra="allow")

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
    # accuracy per test-example group (Example.group), per task name: {task: {group: acc}}
    group_accuracy: dict[str, dict[str, float]] = {}
    peak_rss_mb: float | None = None  # resident-set peak during this stage (train + eval)
    peak_cuda_mb: float | None = None  # CUDA allocator peak during this stage
    rss_reset: bool | None = None  # the RSS peak was reset before the stage (else process-wide)
    exact_match: list[float] | None = None  # eval.exact_match: generation accuracy per task
    observer_s: dict[str, float] = {}  # seconds each observer took after this stage


class Baselines(BaseModel):
    """What each accuracy is compared with: chance among the cell's candidates (1 / k) and
    the accuracy of always predicting the task's most frequent training class."""

    chance: list[list[float]]  # [stage][task], the rows of accuracy_matrix
    initial_chance: list[float]  # [task], the row of initial_accuracy
    majority: list[float]  # [task]
    near_chance_threshold: float  # forgetting is flagged when the diagonal is this close


class ModelInfo(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    name: str
    mode: str
    total_params: int
    trainable_params: int
    trainable_fraction: float
    revision: str | None = None
    family: str | None = None  # the backbone config's model_type (gpt2, llama, mixtral, ...)
    # training tokens the checkpoint had seen (forgetlab ladders: its pretrain.json; Pythia's
    # stepN revisions: N x 2,097,152); None when unknown
    pretrain_tokens: int | None = None
    pretrain_step: int | None = None


class GitInfo(BaseModel):
    commit: str | None
    dirty: bool | None
    branch: str | None


class ResultsFile(BaseModel):
    """`results.json`. Figures over no task (e.g. BWT of one task) are null. Observers add
    their own top-level sections (extra keys are kept)."""

    model_config = ConfigDict(protected_namespaces=(), extra="allow")

    status: str  # "running" while stages remain, "complete" at the end
    name: str
    seed: int
    device: str
    scenario: str
    stream: str
    # what building the stream found or changed: transforms, duplicate texts (files, hf),
    # step budgets of transformed tasks
    stream_info: dict = {}
    tasks: list[str]
    classes: list[str]
    task_classes: list[list[str]] = []  # the labels of each task (empty: generative tasks)
    task_hashes: dict[str, str]
    model: ModelInfo
    method: str
    strategies: list[str]
    # per strategy: seconds (all hooks), <hook>_s (each hook), state_bytes
    strategy_cost: dict[str, dict[str, float]] = {}
    strategy_info: dict[str, dict] = {}  # per strategy: its own summary (e.g. LAMOL samples)
    initial_accuracy: list[float]
    accuracy_matrix: list[list[float]]
    test_counts: list[int]
    metrics: dict[str, float | None]
    # per metric: why it is null (e.g. fwt for classifiers) or why its value is uninformative
    metric_notes: dict[str, str] = {}
    baselines: Baselines | None = None  # chance and majority-class accuracy per task
    # mean drop R[j][j] - R[j+d][j] at distance d = 1..T-1 (how forgetting grows with time)
    forgetting_by_distance: list[float] = []
    stages: list[StageRecord]
    initial_eval_s: float
    wall_time_s: float
    started_at: str
    finished_at: str | None
    versions: dict[str, str]
    git: GitInfo
    resumed_after: list[int] = []  # last finished stage at each resume (empty: never killed)
    warnings: list[str] = []  # a task not learned, replay memory = the stream, lr far off
    probing: ProbingResults | None = None  # [probe]: P, P0, gaps, CKA, geometry (README)
