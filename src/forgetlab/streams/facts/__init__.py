"""Synthetic knowledge: a generator of fictional facts and the `facts` stream kind.

from forgetlab.streams.facts import generate_facts
fs = generate_facts(n_tasks=2, facts_per_task=10, conflict=0.2, seed=0)
[(r.fact.prompt(0), r.fact.object, r.new_object) for r in fs.rewrites]
"""

from __future__ import annotations

from forgetlab.streams.facts.generator import Fact, FactSet, Rewrite, generate_facts
from forgetlab.streams.facts.stream import FactsStreamSpec, build_facts_stream

__all__ = ["Fact", "FactSet", "FactsStreamSpec", "Rewrite", "build_facts_stream", "generate_facts"]
