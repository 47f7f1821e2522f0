"""The audit suite: what `forgetlab audit` measures on both models (`--suite default|FILE`).

    seed = 0
    max_length = 128
    batch_size = 16

    [text]                       # perplexity by text domain
    wordnet = true               # WordNet test-pool glosses, one domain per part of speech
    max_texts = 200              # per source (wordnet: in all, split over its 4 domains)
    files = {news = "news.txt"}  # more domains: .txt (a text per line) or .jsonl ("text")

    [unseen]                     # multiple-choice WordNet category tasks (log-likelihood)
    tasks = 2                    # picked by seed, or categories = [["noun.animal", ...], ...]
    classes_per_task = 3
    per_class = 30
    files = {mine = "mine.jsonl"}   # more tasks: JSONL/CSV with text and label columns

    [probe]                      # linear probes on every layer, the same tasks on both models
    tasks = 2                    # picked by seed, or categories = [[...], ...]
    classes_per_task = 3
    train_per_class = 40
    test_per_class = 30
    layers = "all"
    pooling = "mean"

    [lm_eval]                    # run when lm-evaluation-harness is installed
    tasks = []
    limit = 100

    [examples]
    top = 10                     # the examples whose loss grew most

Paths in a suite file are relative to it. Every table is optional (defaults above).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, ValidationError, field_validator

from forgetlab.errors import SpecError
from forgetlab.spec.base import SpecModel


def _known_categories(v: list[list[str]] | None) -> list[list[str]] | None:
    from forgetlab.data.wordnet import LEXNAMES
    from forgetlab.registry import did_you_mean

    for group in v or []:
        if len(group) < 2:
            raise ValueError(f"a task needs at least 2 categories, not {group}")
        for name in group:
            if name not in LEXNAMES:
                raise ValueError(
                    f"unknown WordNet category {name!r};{did_you_mean(name, list(LEXNAMES))}"
                )
    return v


class TextSuite(SpecModel):
    wordnet: bool = Field(True, description="WordNet test-pool glosses, by part of speech")
    max_texts: PositiveInt = Field(200, description="texts per source")
    files: dict[str, Path] = Field(default_factory=dict, description="domain -> text file")


class UnseenSuite(SpecModel):
    tasks: NonNegativeInt = Field(2, description="WordNet category tasks picked by seed")
    classes_per_task: int = Field(3, ge=2)
    per_class: PositiveInt = 30
    categories: list[list[str]] | None = Field(None, description="explicit tasks")
    files: dict[str, Path] = Field(
        default_factory=dict, description="task name -> JSONL/CSV file with text and label"
    )

    @field_validator("categories")
    @classmethod
    def _known(cls, v: list[list[str]] | None) -> list[list[str]] | None:
        return _known_categories(v)


class ProbeSuite(SpecModel):
    tasks: NonNegativeInt = Field(2, description="WordNet category tasks picked by seed")
    classes_per_task: int = Field(3, ge=2)
    train_per_class: PositiveInt = 40
    test_per_class: PositiveInt = 30
    categories: list[list[str]] | None = Field(None, description="explicit tasks")
    layers: Literal["all"] | tuple[int, ...] = "all"
    pooling: Literal["mean", "last"] = "mean"

    @field_validator("categories")
    @classmethod
    def _known(cls, v: list[list[str]] | None) -> list[list[str]] | None:
        return _known_categories(v)


class LmEvalSuite(SpecModel):
    tasks: list[str] = Field(default_factory=list, description="lm-eval task names")
    limit: PositiveInt | None = 100
    num_fewshot: NonNegativeInt | None = None
    batch_size: PositiveInt = 8
    include_path: Path | None = Field(None, description="a folder of custom task YAMLs")


class ExamplesSuite(SpecModel):
    top: NonNegativeInt = Field(10, description="examples whose loss grew most")


class AuditSuite(SpecModel):
    seed: int = Field(0, description="picks texts, tasks, glosses and bootstrap resamples")
    max_length: PositiveInt = Field(128, description="tokens per text or item")
    batch_size: PositiveInt = Field(16, description="texts per forward")
    bootstrap: PositiveInt = Field(1000, description="bootstrap resamples of each interval")
    text: TextSuite = TextSuite()
    unseen: UnseenSuite = UnseenSuite()
    probe: ProbeSuite = ProbeSuite()
    lm_eval: LmEvalSuite = LmEvalSuite()
    examples: ExamplesSuite = ExamplesSuite()


def _absolute(data: dict, base: Path) -> dict:
    for section in ("text", "unseen"):
        table = data.get(section)
        if isinstance(table, dict) and isinstance(table.get("files"), dict):
            table["files"] = {
                k: str((base / v).resolve())
                if isinstance(v, str) and not Path(v).is_absolute()
                else v
                for k, v in table["files"].items()
            }
    lm = data.get("lm_eval")
    if isinstance(lm, dict) and isinstance(lm.get("include_path"), str):
        p = Path(lm["include_path"])
        lm["include_path"] = str(p if p.is_absolute() else (base / p).resolve())
    return data


def load_suite(which: str | Path = "default") -> AuditSuite:
    """The default suite, or a TOML file's (SpecError naming the field or file)."""
    if str(which) == "default":
        return AuditSuite()
    from forgetlab.spec.errors import _one  # one line per bad field, with did-you-mean
    from forgetlab.spec.experiment import read_toml

    path = Path(which)
    data = _absolute(read_toml(path), path.resolve().parent)
    try:
        return AuditSuite.model_validate(data)
    except ValidationError as e:
        lines = dict.fromkeys(_one(err, AuditSuite) for err in e.errors(include_url=False))
        raise SpecError(f"suite {str(path)!r}: " + "; ".join(lines)) from None
