"""`facts`: synthetic knowledge tasks for causal LMs; each task is a domain of fictional facts.

    [stream]
    kind = "facts"
    n_tasks = 5                # domains: geography, biology, law, medicine, ... then generated
    facts_per_task = 40
    repetitions = 3            # training copies per fact (the head fact's, with zipf_s > 0)
    paraphrases = 2            # templates per relation used in training (near-duplicates)
    test_template = "canonical"   # or "held_out"
    zipf_s = 0.0               # > 0: Zipf-distributed copies; test groups head/torso/tail
    conflict = 0.0             # > 0: a last task rewrites this share of every task's facts

An example's text is the fact up to its object ("The capital of Veltria is") and its label
the object ("Orsk"); a causal LM ranks every object of the task (the candidates) by
log-likelihood, so the distractors are the task's other objects (task-incremental).

Test = the facts themselves (memorisation): each fact once, in its relation's canonical
template. With test_template = "canonical" that template is also the first training template;
with "held_out" training uses the other templates only, so the test asks every fact in words
never seen in training.

Conflict: a last task named "conflict" trains the rewritten facts (same subject and relation,
another object of the same pool, same number of copies); its test asks for the new objects,
ranked among every object of the rewritten relations. The original tasks' test examples are
tagged group "overwritten" (rewritten later) or "untouched". Accuracy on an overwritten fact,
in its original task, is the share for which the ORIGINAL object still ranks first among the
task's objects, which include the new one: it falls to 0 when the rewrite has fully replaced
the old fact. Without conflict and with zipf_s > 0 the groups are the frequency buckets
head | torso | tail (`frequency_bucket` of the fact's rank).
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Literal

from pydantic import Field, PositiveInt, ValidationInfo, field_validator

from forgetlab.spec.base import SpecModel
from forgetlab.streams.facts.domains import N_TEMPLATES
from forgetlab.streams.facts.generator import Fact, FactSet, generate_facts
from forgetlab.streams.grouping import Record, TaskData, assemble
from forgetlab.streams.registry import stream_kinds
from forgetlab.streams.task import Stream
from forgetlab.streams.transforms.base import frequency_bucket, round_half_up


class FactsStreamSpec(SpecModel):
    kind: Literal["facts"] = "facts"
    n_tasks: PositiveInt = Field(
        5, description="domains, one task each (12 built in, then made up)"
    )
    facts_per_task: PositiveInt = Field(40, description="facts per domain")
    relations_per_task: int = Field(2, ge=1, le=2, description="relations per domain")
    objects_per_relation: int = Field(
        5, ge=2, description="objects per relation: the candidates, with the other relations'"
    )
    repetitions: PositiveInt = Field(3, description="training copies per fact (head fact's)")
    paraphrases: int = Field(
        1, ge=1, le=N_TEMPLATES, description="templates per relation used in training"
    )
    test_template: Literal["canonical", "held_out"] = Field(
        "canonical", description="test in the canonical template (seen) or one kept out of training"
    )
    zipf_s: float = Field(
        0.0, ge=0, allow_inf_nan=False, description="Zipf exponent of fact frequency (0: uniform)"
    )
    conflict: float = Field(
        0.0, ge=0, le=1, description="share of every task's facts a last task rewrites"
    )
    conflict_task: Literal["rewrite", "control"] = Field(
        "rewrite",
        description="the last task: rewrite the chosen facts, or (control) learn as many new, "
        "unrelated facts; the chosen facts are tagged `overwritten` either way",
    )
    seed: int = Field(0, description="names, objects, frequency ranks and rewrites")

    @field_validator("test_template")
    @classmethod
    def _room_for_held_out(cls, v: str, info: ValidationInfo) -> str:
        p = info.data.get("paraphrases", 1)
        if v == "held_out" and p > N_TEMPLATES - 1:
            raise ValueError(f"held_out needs paraphrases <= {N_TEMPLATES - 1}, not {p}")
        return v

    @field_validator("conflict")
    @classmethod
    def _rewrites_some(cls, v: float, info: ValidationInfo) -> float:
        n = info.data.get("facts_per_task", 1)
        if v > 0 and round_half_up(v * n) == 0:
            raise ValueError(f"rewrites none of {n} facts per task; raise it")
        return v


def generate(spec: FactsStreamSpec) -> FactSet:
    return generate_facts(
        spec.n_tasks,
        spec.facts_per_task,
        relations_per_task=spec.relations_per_task,
        objects_per_relation=spec.objects_per_relation,
        repetitions=spec.repetitions,
        zipf_s=spec.zipf_s,
        conflict=spec.conflict,
        seed=spec.seed,
    )


def _train_records(facts: list[tuple[Fact, str]], spec: FactsStreamSpec, rng) -> list[Record]:
    """Every (fact, object) `fact.copies` times, copies cycling through the training templates."""
    first = 1 if spec.test_template == "held_out" else 0
    templates = range(first, first + spec.paraphrases)
    out = [
        Record(f.prompt(templates[c % len(templates)]), obj)
        for f, obj in facts
        for c in range(f.copies)
    ]
    rng.shuffle(out)
    return out


def build_facts_stream(spec: FactsStreamSpec) -> Stream:
    fs = generate(spec)
    rng = random.Random(f"facts-order:{spec.seed}")
    tasks, groups = [], []
    for k, domain in enumerate(fs.domains):
        facts = fs.facts[k]
        train = _train_records([(f, f.object) for f in facts], spec, rng)
        test = [Record(f.prompt(0), f.object) for f in facts]
        tasks.append(TaskData(domain.name, fs.objects[k], tuple(train), tuple(test)))
        rewritten = fs.rewritten(k)
        if spec.conflict > 0:
            groups.append(["overwritten" if f.subject in rewritten else "untouched" for f in facts])
        elif spec.zipf_s > 0:
            groups.append([frequency_bucket(f.rank, len(facts)) for f in facts])
        else:
            groups.append([""] * len(facts))
    if fs.rewrites:
        if spec.conflict_task == "rewrite":
            pairs = [(r.fact, r.new_object) for r in fs.rewrites]
        else:
            pairs = [(f, f.object) for f in fs.controls]
        relations = dict.fromkeys((r.fact.task, r.fact.relation.name) for r in fs.rewrites)
        labels = tuple(dict.fromkeys(o for k, rel in relations for o in fs.pools[k][rel]))
        train = _train_records(pairs, spec, rng)
        test = [Record(f.prompt(0), obj) for f, obj in pairs]
        name = "conflict" if spec.conflict_task == "rewrite" else "control"
        tasks.append(TaskData(name, labels, tuple(train), tuple(test)))
        groups.append([""] * len(test))
    stream = assemble("facts", "task_incremental", tasks, prompt="{text}")
    tagged = tuple(
        replace(t, test=tuple(replace(ex, group=g) for ex, g in zip(t.test, gs)))
        for t, gs in zip(stream.tasks, groups)
    )
    stream = replace(stream, tasks=tagged)
    if fs.rewrites:
        stream = replace(stream, info={**stream.info, "conflict": _conflict_info(fs, stream, spec)})
    return stream


def _conflict_info(fs: FactSet, stream: Stream, spec: FactsStreamSpec) -> dict:
    """What the `conflict` observer needs: the last task's kind, the class id of each
    overwritten test fact's new object (in its original task), and of the majority object of
    each test fact's relation (the most frequent in the task's training facts)."""
    new_object = {(r.fact.task, r.fact.subject): r.new_object for r in fs.rewrites}
    new_label: dict[int, int] = {}
    majority_label: dict[int, int] = {}
    for k, facts in enumerate(fs.facts):
        task = stream.tasks[k]
        ids = dict(zip(fs.objects[k], task.classes))
        counts: dict[str, dict[str, int]] = {}
        for f in facts:
            rel = counts.setdefault(f.relation.name, {})
            rel[f.object] = rel.get(f.object, 0) + f.copies
        top = {
            rel: min(c, key=lambda o: (-c[o], fs.objects[k].index(o))) for rel, c in counts.items()
        }
        for f, ex in zip(facts, task.test):
            majority_label[ex.uid] = ids[top[f.relation.name]]
            if (k, f.subject) in new_object:
                new_label[ex.uid] = ids[new_object[(k, f.subject)]]
    return {
        "task": spec.conflict_task,
        "new_label": new_label,
        "majority_label": majority_label,
    }


@stream_kinds.register("facts", help="synthetic fictional facts for causal LMs, domain per task")
class FactsStream:
    Spec = FactsStreamSpec

    @staticmethod
    def build(spec: FactsStreamSpec) -> Stream:
        return build_facts_stream(spec)
