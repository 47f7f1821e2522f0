"""`facts-updates`: knowledge that changes over time. Fictional law- and medicine-like domains
are learned, then some of their facts are revised at later stages; other domains never are.

    [stream]
    kind = "facts-updates"
    domains = ["law", "medicine"]     # domains whose facts are revised (built-in facts domains)
    other_domains = ["geography"]     # learned, never revised
    facts_per_task = 20
    relations_per_task = 2
    objects_per_relation = 5
    repetitions = 3                   # training copies of every fact (and of every revision)
    updates = 2                       # revision stages after the domains
    revise = 0.25                     # share of each revised domain's facts an update revises
    seed = 0

Stages: one task per domain (revised domains first, then the others), then tasks "update1",
"update2", ...: each revises round(revise x facts_per_task) facts of every revised domain,
among those not revised before, each to another object of its relation's pool (a statute's
court, a drug's indication changes). An update task trains the new versions (the same
prompt, `repetitions` copies) and tests them, ranked among the objects of the revised
relations. A domain task tests its facts in their first version, each tagged with its group:
`revised` (revised by some update), `unrevised` (a revised domain's fact never revised) or
`other` (another domain). Prompts are the relations' canonical templates, so a revision has
exactly its fact's prompt (what `rag` with `newest = true` keys its memory on).

`stream.info["knowledge"]` holds the plan (every fact's test uid, domain task, relation
objects and versions) that the `knowledge` observer scores at every stage by log-probability
margins (`forgetlab.streams.facts.knowledge`).
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from forgetlab.spec.base import SpecModel
from forgetlab.streams.facts.domains import BUILTIN
from forgetlab.streams.facts.generator import Fact, generate_facts
from forgetlab.streams.grouping import Record, TaskData, assemble
from forgetlab.streams.registry import stream_kinds
from forgetlab.streams.task import Stream
from forgetlab.streams.transforms.base import round_half_up

DOMAIN_NAMES = tuple(d.name for d in BUILTIN)


class FactsUpdatesSpec(SpecModel):
    kind: Literal["facts-updates"] = "facts-updates"
    domains: list[str] = Field(
        ["law", "medicine"], min_length=1, description="domains whose facts are revised"
    )
    other_domains: list[str] = Field(["geography"], description="domains never revised")
    facts_per_task: PositiveInt = Field(20, description="facts per domain")
    relations_per_task: int = Field(2, ge=1, le=2, description="relations per domain")
    objects_per_relation: int = Field(5, ge=2, description="objects per relation")
    repetitions: PositiveInt = Field(3, description="training copies per fact and revision")
    updates: PositiveInt = Field(2, description="revision stages after the domains")
    revise: float = Field(
        0.25, gt=0, le=1, description="share of each revised domain's facts an update revises"
    )
    seed: int = Field(0, description="names, objects and revisions")

    @model_validator(mode="after")
    def _check(self) -> FactsUpdatesSpec:
        names = [*self.domains, *self.other_domains]
        for name in names:
            if name not in DOMAIN_NAMES:
                raise ValueError(f"unknown domain {name!r}; facts domains: {DOMAIN_NAMES}")
        if len(set(names)) != len(names):
            raise ValueError("a domain is listed twice (domains and other_domains)")
        n = round_half_up(self.revise * self.facts_per_task)
        if n == 0:
            raise ValueError(f"revise: revises none of {self.facts_per_task} facts; raise it")
        if n * self.updates > self.facts_per_task:
            raise ValueError(
                f"updates x revise: {self.updates} updates of {n} facts need more than "
                f"{self.facts_per_task} facts per domain"
            )
        return self


def _records(pairs: list[tuple[Fact, str]], copies: int, rng: random.Random) -> list[Record]:
    out = [Record(f.prompt(0), obj) for f, obj in pairs for _ in range(copies)]
    rng.shuffle(out)
    return out


def build_updates_stream(spec: FactsUpdatesSpec) -> Stream:
    names = [*spec.domains, *spec.other_domains]
    index = [DOMAIN_NAMES.index(n) for n in names]
    fs = generate_facts(
        max(index) + 1,
        spec.facts_per_task,
        relations_per_task=spec.relations_per_task,
        objects_per_relation=spec.objects_per_relation,
        repetitions=spec.repetitions,
        seed=spec.seed,
    )
    rng = random.Random(f"facts-updates:{spec.seed}")
    tasks: list[TaskData] = []
    versions: dict[tuple[int, str], list[tuple[str, str]]] = {}  # (domain, subject) -> versions
    for k in index:
        pairs = [(f, f.object) for f in fs.facts[k]]
        test = [Record(f.prompt(0), f.object) for f in fs.facts[k]]
        tasks.append(
            TaskData(
                fs.domains[k].name,
                fs.objects[k],
                tuple(_records(pairs, spec.repetitions, rng)),
                tuple(test),
            )
        )
        for f in fs.facts[k]:
            versions[(k, f.subject)] = [(fs.domains[k].name, f.object)]
    n = round_half_up(spec.revise * spec.facts_per_task)
    revised = [DOMAIN_NAMES.index(d) for d in spec.domains]
    for u in range(1, spec.updates + 1):
        name, pairs, relations = f"update{u}", [], {}
        for k in revised:
            fresh = [f for f in fs.facts[k] if len(versions[(k, f.subject)]) == 1]
            for f in rng.sample(fresh, n):
                pool = fs.pools[k][f.relation.name]
                new = rng.choice([o for o in pool if o != f.object])
                versions[(k, f.subject)].append((name, new))
                pairs.append((f, new))
                relations[(k, f.relation.name)] = pool
        labels = tuple(dict.fromkeys(o for pool in relations.values() for o in pool))
        test = [Record(f.prompt(0), obj) for f, obj in pairs]
        tasks.append(
            TaskData(name, labels, tuple(_records(pairs, spec.repetitions, rng)), tuple(test))
        )
    stream = assemble("facts-updates", "task_incremental", tasks, prompt="{text}")
    plan, tagged = [], []
    for t, k in zip(stream.tasks, index):
        groups = []
        for ex, f in zip(t.test, fs.facts[k]):
            v = versions[(k, f.subject)]
            group = "other" if k not in revised else ("revised" if len(v) > 1 else "unrevised")
            groups.append(group)
            plan.append(
                {
                    "uid": ex.uid,
                    "task": t.name,
                    "objects": list(fs.pools[k][f.relation.name]),
                    "versions": [list(x) for x in v],
                    "revisable": k in revised,
                }
            )
        tagged.append(replace(t, test=tuple(replace(ex, group=g) for ex, g in zip(t.test, groups))))
    tasks_out = (*tagged, *stream.tasks[len(index) :])
    return replace(stream, tasks=tasks_out, info={**stream.info, "knowledge": plan})


@stream_kinds.register(
    "facts-updates", help="fictional law/medicine facts revised at later stages (knowledge updates)"
)
class FactsUpdatesStream:
    Spec = FactsUpdatesSpec

    @staticmethod
    def build(spec: FactsUpdatesSpec) -> Stream:
        return build_updates_stream(spec)
