"""Domains of fictional knowledge: each has relations, each relation paraphrase templates.

A template ends just before the object ("The capital of {s} is" + " Orsk"). The first
template of a relation is its canonical form. Objects are fictional names put into the
relation's `object_form` ("{o} fever"). Beyond the built-in domains, `generated_domain(k)`
makes as many as needed, with made-up attribute words ("The vesk of Dravik is").
"""

from __future__ import annotations

from dataclasses import dataclass

from forgetlab.streams.facts.names import NameMaker


@dataclass(frozen=True)
class Relation:
    name: str
    templates: tuple[str, ...]  # with {s} for the subject; [0] is the canonical form
    object_form: str = "{o}"  # how an object name is written, e.g. "{o} fever"
    lower_objects: bool = False  # object names in lower case ("the glimmer" vs "Orsk")


@dataclass(frozen=True)
class Domain:
    name: str
    relations: tuple[Relation, ...]


def _r(name: str, form: str, lower: bool, *templates: str) -> Relation:
    return Relation(name, tuple(templates), form, lower)


N_TEMPLATES = 4  # every relation has this many templates

# fmt: off
BUILTIN: tuple[Domain, ...] = (
    Domain("geography", (
        _r("capital_of", "{o}", False, "The capital of {s} is", "{s} has its capital in",
           "The seat of government of {s} is", "In {s}, the capital city is"),
        _r("river_of", "the {o}", False, "The longest river of {s} is",
           "{s} is crossed by the river called", "The main river flowing through {s} is",
           "The great river of {s} is"),
    )),
    Domain("biology", (
        _r("habitat", "the {o} marshes", False, "The {s} lives in", "The habitat of the {s} is",
           "The {s} is found in", "Wild {s} animals live in"),
        _r("diet", "{o} berries", True, "The {s} feeds on", "The main food of the {s} is",
           "The {s} mostly eats", "In the wild, the {s} eats"),
    )),
    Domain("law", (
        _r("court_of", "the {o} court", False, "Disputes under the {s} Code are heard by",
           "The {s} Code is enforced by", "Cases about the {s} Code go to",
           "The court in charge of the {s} Code is"),
        _r("drafted_by", "{o}", False, "The {s} Code was drafted by",
           "The author of the {s} Code is", "The {s} Code was written by",
           "Credit for the {s} Code goes to"),
    )),
    Domain("medicine", (
        _r("treats", "{o} fever", False, "The drug {s} treats", "{s} is prescribed for",
           "Doctors use {s} against", "The medicine {s} is a treatment for"),
        _r("side_effect", "{o} rash", True, "A known side effect of {s} is", "{s} can cause",
           "Patients taking {s} may suffer from", "The main side effect of {s} is"),
    )),
    Domain("astronomy", (
        _r("orbits", "{o}", False, "The moon {s} orbits", "{s} is a moon of",
           "The planet that {s} circles is", "The moon {s} goes around"),
        _r("discovered_by", "{o}", False, "The comet {s} was discovered by",
           "The discoverer of comet {s} is", "Comet {s} was first seen by",
           "The comet {s} was found by"),
    )),
    Domain("music", (
        _r("composed_by", "{o}", False, "The symphony {s} was composed by",
           "The composer of {s} is", "{s} was written by the composer",
           "The music of {s} is by"),
        _r("instrument_of", "the {o}", True, "The musician {s} plays",
           "{s} is famous for playing", "The instrument of {s} is", "On stage, {s} plays"),
    )),
    Domain("economics", (
        _r("currency_of", "the {o}", True, "The currency of {s} is",
           "In {s}, people pay with", "The money used in {s} is",
           "{s} uses the currency called"),
        _r("export_of", "{o} silk", False, "The main export of {s} is", "{s} mostly exports",
           "The chief product shipped from {s} is", "{s} is known for exporting"),
    )),
    Domain("literature", (
        _r("written_by", "{o}", False, "The novel {s} was written by", "The author of {s} is",
           "{s} is a book by", "The writer of {s} is"),
        _r("set_in", "{o}", False, "The novel {s} is set in", "The story of {s} takes place in",
           "{s} tells of events in", "The setting of {s} is"),
    )),
    Domain("history", (
        _r("founded_by", "{o}", False, "The city of {s} was founded by",
           "The founder of {s} is", "{s} was established by", "The first settler of {s} was"),
        _r("ruled_by", "{o}", False, "The kingdom of {s} was ruled by",
           "The monarch of {s} was", "{s} had as its ruler", "The throne of {s} belonged to"),
    )),
    Domain("chemistry", (
        _r("contains", "{o}ium", False, "The compound {s} contains",
           "The key element in {s} is", "{s} is made mostly of",
           "Chemists find in {s} the element"),
        _r("synthesized_by", "{o}", False, "The compound {s} was first made by",
           "{s} was synthesized by", "The chemist who made {s} is",
           "The first sample of {s} came from"),
    )),
    Domain("sports", (
        _r("plays_for", "{o} United", False, "The athlete {s} plays for",
           "{s} is a player of", "The team of {s} is", "{s} wears the colours of"),
        _r("coached_by", "{o}", False, "The team {s} is coached by", "The coach of {s} is",
           "{s} trains under", "The manager of {s} is"),
    )),
    Domain("mythology", (
        _r("god_of", "{o}", True, "{s} is the god of", "In old myths, {s} rules over",
           "The domain of the god {s} is", "People prayed to {s} for"),
        _r("temple_in", "{o}", False, "The temple of {s} stands in",
           "The shrine of {s} is in", "Pilgrims honour {s} in", "The great temple of {s} is in"),
    )),
)
# fmt: on

GENERATED_TEMPLATES = (
    "The {a} of {s} is",
    "{s} has as its {a}",
    "Records give the {a} of {s} as",
    "Everyone knows the {a} of {s} is",
)


def generated_domain(k: int, n_relations: int, names: NameMaker) -> Domain:
    """Domain number `k` (past the built-in ones), with made-up attribute words."""
    relations = []
    for _ in range(n_relations):
        attr = names.new(lower=True)
        templates = tuple(t.replace("{a}", attr) for t in GENERATED_TEMPLATES)
        relations.append(Relation(attr, templates))
    return Domain(f"domain{k}", tuple(relations))
