"""A deterministic generator of fictional facts: entities, relations, domains, conflicts.

    facts = generate_facts(n_tasks=3, facts_per_task=20, seed=0)
    f = facts.facts[0][0]
    f.prompt(0), f.object        # ('The capital of Veltria is', 'Orsk')
    facts.objects[0]             # the task's candidate objects (every relation's pool)

Each task is one domain (geography, biology, law, medicine, ... then generated domains). A
task's facts cycle through its relations; every fact has a fresh subject, and its object is
drawn from the relation's pool of `objects_per_relation` fictional names, so the other
objects of the task are the distractors. Facts get a random frequency rank; with Zipf
exponent `zipf_s` > 0 the fact at 0-based rank r is repeated max(1, round(repetitions *
(r + 1)^-s)) times in training, else `repetitions` times. With `conflict` > 0, a fraction
of every task's facts (round(conflict * facts_per_task), chosen by seed) is rewritten: the
rewrite keeps subject and relation and takes another object of the same pool. `controls`
are as many new facts (fresh subjects, the rewritten facts' relations and copies), for a
same-size control task that conflicts with nothing.

Names and choices come from two generators seeded by `seed`: same seed, same facts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from forgetlab.streams.facts.domains import BUILTIN, Domain, Relation, generated_domain
from forgetlab.streams.facts.names import NameMaker
from forgetlab.streams.transforms.base import round_half_up


@dataclass(frozen=True)
class Fact:
    task: int  # the domain task it belongs to
    subject: str
    relation: Relation
    object: str  # as written, e.g. "Orsk fever"
    rank: int  # 0-based frequency rank within its task (0 = most repeated)
    copies: int  # training copies

    def prompt(self, template: int) -> str:
        """The fact's text up to the object, in the relation's template number `template`."""
        return self.relation.templates[template].format(s=self.subject)


@dataclass(frozen=True)
class Rewrite:
    """A conflicting fact: `fact`'s subject and relation with `new_object`."""

    fact: Fact
    new_object: str


@dataclass(frozen=True)
class FactSet:
    domains: tuple[Domain, ...]
    objects: tuple[tuple[str, ...], ...]  # per task: every object of its relations' pools
    pools: tuple[dict[str, tuple[str, ...]], ...]  # per task: relation name -> its objects
    facts: tuple[tuple[Fact, ...], ...]  # per task, in rank order
    rewrites: tuple[Rewrite, ...]  # the conflict task's facts (empty without conflict)
    # the control task's facts: as many new facts (fresh subjects, same relations and copies)
    # as there are rewrites, unrelated to any earlier fact
    controls: tuple[Fact, ...] = ()

    def rewritten(self, task: int) -> set[str]:
        """Subjects of task `task` whose fact a rewrite changed."""
        return {r.fact.subject for r in self.rewrites if r.fact.task == task}


def copies_for(rank: int, repetitions: int, zipf_s: float) -> int:
    if zipf_s == 0:
        return repetitions
    return max(1, round_half_up(repetitions * (rank + 1) ** -zipf_s))


def generate_facts(
    n_tasks: int,
    facts_per_task: int,
    *,
    relations_per_task: int = 2,
    objects_per_relation: int = 5,
    repetitions: int = 1,
    zipf_s: float = 0.0,
    conflict: float = 0.0,
    seed: int = 0,
) -> FactSet:
    """Generate the facts of `n_tasks` domains (see the module docstring)."""
    names = NameMaker(random.Random(f"facts-names:{seed}"))
    rng = random.Random(f"facts:{seed}")
    domains, objects, pools, facts = [], [], [], []
    for k in range(n_tasks):
        if k < len(BUILTIN):
            domain = Domain(BUILTIN[k].name, BUILTIN[k].relations[:relations_per_task])
        else:
            domain = generated_domain(k, relations_per_task, names)
        pool = {
            rel.name: tuple(
                rel.object_form.format(o=names.new(lower=rel.lower_objects))
                for _ in range(objects_per_relation)
            )
            for rel in domain.relations
        }
        drafts = []
        for i in range(facts_per_task):
            rel = domain.relations[i % len(domain.relations)]
            drafts.append((names.new(), rel, rng.choice(pool[rel.name])))
        ranks = rng.sample(range(facts_per_task), facts_per_task)
        task_facts = sorted(
            (
                Fact(k, s, rel, o, r, copies_for(r, repetitions, zipf_s))
                for (s, rel, o), r in zip(drafts, ranks)
            ),
            key=lambda f: f.rank,
        )
        domains.append(domain)
        pools.append(pool)
        objects.append(tuple(o for p in pool.values() for o in p))
        facts.append(tuple(task_facts))
    rewrites = []
    if conflict > 0:
        n_rewrite = round_half_up(conflict * facts_per_task)
        for k in range(n_tasks):
            for f in rng.sample(facts[k], n_rewrite):
                others = [o for o in pools[k][f.relation.name] if o != f.object]
                rewrites.append(Rewrite(f, rng.choice(others)))
    controls = tuple(  # drawn last: the facts and rewrites above do not depend on them
        Fact(
            r.fact.task,
            names.new(),
            r.fact.relation,
            rng.choice(pools[r.fact.task][r.fact.relation.name]),
            r.fact.rank,
            r.fact.copies,
        )
        for r in rewrites
    )
    return FactSet(
        tuple(domains), tuple(objects), tuple(pools), tuple(facts), tuple(rewrites), controls
    )
