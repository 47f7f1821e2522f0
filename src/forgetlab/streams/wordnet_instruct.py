"""`wordnet-instruct`: an offline instruction stream from the bundled WordNet, one task family
per stage (generative: free-text answers, scored by exact match, token F1 and ROUGE-L).

    [stream]
    kind = "wordnet-instruct"
    tasks = ["define", "category", "word", "example"]    # the stages, in order
    train_per_task = 200
    test_per_task = 50

Families (what the bundled data holds: each synset's first lemma, its category and its gloss,
which is a definition followed by quoted usage examples; it lists no synonyms):

| family     | instruction                                   | response                 |
|------------|-----------------------------------------------|--------------------------|
| `define`   | What does "{lemma}" mean?                     | the gloss's definition   |
| `category` | Which WordNet category does "{lemma}" belong to? | e.g. "noun animal"    |
| `word`     | Which word means: {definition}?               | the lemma                |
| `example`  | Use "{lemma}" in a sentence.                  | its first usage example  |
| `pos`      | What part of speech is "{lemma}"?             | noun, verb, adjective... |

Only synsets of the WordNet streams' *train pool* are used (`in_test_pool` is false), so the
test-pool glosses stay unseen: the general-ability observer measures perplexity on them. Of
those, only synsets whose lemma names no other synset are used (an unambiguous question), and
one synset in five (by a hash of its id) is an instruction-test synset: a synset is never in
one family's training data and another's test. `categories` (default: the 26 noun
categories) leaves the others for held-out tasks never trained (`[general]`).
"""

from __future__ import annotations

import random
import zlib
from collections import Counter
from collections.abc import Callable
from typing import Literal

from pydantic import Field, PositiveInt, field_validator

from forgetlab.data.wordnet import LEXNAMES, WordNetGloss, load_wordnet
from forgetlab.errors import DataError
from forgetlab.registry import did_you_mean
from forgetlab.spec.base import SpecModel
from forgetlab.streams.generative import ChatRecord, assemble_generative
from forgetlab.streams.registry import stream_kinds
from forgetlab.streams.task import Stream
from forgetlab.streams.wordnet_stream import in_test_pool

NOUNS = tuple(c for c in LEXNAMES if c.startswith("noun."))
POS = {"noun": "noun", "verb": "verb", "adj": "adjective", "adv": "adverb"}


def definition(gloss: str) -> str:
    """The gloss without its quoted usage examples."""
    return "; ".join(s for s in _segments(gloss) if not s.startswith('"'))


def examples(gloss: str) -> list[str]:
    """The gloss's quoted usage examples, without the quotes."""
    return [s.strip('"').strip() for s in _segments(gloss) if s.startswith('"')]


def _segments(gloss: str) -> list[str]:
    return [s.strip() for s in gloss.split("; ") if s.strip()]


def _category(g: WordNetGloss) -> str:
    return g.label.replace(".", " ").replace("_", " ")


# family -> (instruction, response, whether a synset can pose it)
FAMILIES: dict[str, tuple[Callable, Callable, Callable]] = {
    "define": (
        lambda g: f'What does "{g.lemma}" mean?',
        lambda g: definition(g.gloss),
        lambda g: bool(definition(g.gloss)),
    ),
    "category": (
        lambda g: f'Which WordNet category does "{g.lemma}" belong to?',
        _category,
        lambda g: True,
    ),
    "word": (
        lambda g: f"Which word means: {definition(g.gloss)}?",
        lambda g: g.lemma,
        lambda g: bool(definition(g.gloss)),
    ),
    "example": (
        lambda g: f'Use "{g.lemma}" in a sentence.',
        lambda g: examples(g.gloss)[0],
        lambda g: bool(examples(g.gloss)),
    ),
    "pos": (
        lambda g: f'What part of speech is "{g.lemma}"?',
        lambda g: POS[g.label.split(".")[0]],
        lambda g: True,
    ),
}


class WordNetInstructSpec(SpecModel):
    kind: Literal["wordnet-instruct"] = "wordnet-instruct"
    tasks: list[Literal["define", "category", "word", "example", "pos"]] = Field(
        default_factory=lambda: ["define", "category", "word", "example"],
        description="task families, one per stage, in order",
    )
    train_per_task: PositiveInt = Field(200, description="training instructions per task")
    test_per_task: PositiveInt = Field(50, description="test instructions per task")
    categories: list[str] | None = Field(
        None, description="synsets of these WordNet categories (default: the noun categories)"
    )
    seed: int = Field(0, description="which synsets each task samples")
    template: Literal["auto", "plain"] = Field(
        "auto", description="auto: the tokenizer's chat template when it has one, else plain"
    )

    @field_validator("tasks")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("name at least one task family")
        if len(set(v)) != len(v):
            raise ValueError(f"task families listed twice: {v}")
        return v

    @field_validator("categories")
    @classmethod
    def _known(cls, v: list[str] | None) -> list[str] | None:
        for name in v or []:
            if name not in LEXNAMES:
                raise ValueError(
                    f"unknown WordNet category {name!r};{did_you_mean(name, LEXNAMES)}"
                )
        return v


def in_instruct_test(g: WordNetGloss) -> bool:
    """One train-pool synset in five (a hash of its id) holds the instruction test items."""
    return zlib.crc32(f"instruct:{g.id}".encode()) % 5 == 0


def usable_synsets(categories: tuple[str, ...]) -> list[WordNetGloss]:
    """Train-pool synsets of `categories` whose lemma names no other synset."""
    rows = load_wordnet()
    counts = Counter(g.lemma.lower() for g in rows)
    keep = set(categories)
    return [
        g
        for g in rows
        if g.label in keep and counts[g.lemma.lower()] == 1 and not in_test_pool(g.gloss)
    ]


def build_wordnet_instruct(spec: WordNetInstructSpec) -> Stream:
    categories = tuple(spec.categories) if spec.categories is not None else NOUNS
    synsets = usable_synsets(categories)
    rng = random.Random(spec.seed)
    train: list[ChatRecord] = []
    test: list[ChatRecord] = []
    for family in spec.tasks:
        ask, answer, poses = FAMILIES[family]
        for split, want, out in (
            ("train", spec.train_per_task, train),
            ("test", spec.test_per_task, test),
        ):
            pool = [g for g in synsets if poses(g) and in_instruct_test(g) == (split == "test")]
            if len(pool) < want:
                raise DataError(
                    f"stream.{split}_per_task: task {family!r} has {len(pool)} {split} synsets "
                    f"in categories {list(categories)[:3]}...; ask for at most that many"
                )
            for g in rng.sample(pool, want):
                out.append(ChatRecord(ask(g), answer(g), task=family, where=g.id))
    return assemble_generative(
        "wordnet-instruct",
        train,
        test,
        seed=spec.seed,
        info={"template": spec.template, "categories": list(categories)},
    )


@stream_kinds.register(
    "wordnet-instruct", help="WordNet instruction tasks (define, category, word...), generative"
)
class WordNetInstructStream:
    Spec = WordNetInstructSpec
    generative = True

    @staticmethod
    def build(spec: WordNetInstructSpec) -> Stream:
        return build_wordnet_instruct(spec)
