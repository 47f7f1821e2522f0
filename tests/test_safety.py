"""Safety rules that must hold in every module: no pickle-based loading anywhere a file from
outside can reach, and no model code from the hub unless the spec asks for it."""

from __future__ import annotations

import re
from pathlib import Path

import forgetlab
from forgetlab.spec import spec_from_dict
from tests.conftest import tiny_wordnet

SRC = Path(forgetlab.__file__).parent
FORBIDDEN = re.compile(r"\b(torch\.load|pickle\.loads?|import pickle|joblib|cloudpickle)\b")


def test_no_pickle_loading_in_the_package():
    hits = [
        f"{p.relative_to(SRC)}:{i}: {line.strip()}"
        for p in SRC.rglob("*.py")
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if FORBIDDEN.search(line) and not line.lstrip().startswith("#")
    ]
    assert hits == []


def test_trust_remote_code_is_off_unless_the_spec_turns_it_on():
    assert spec_from_dict(tiny_wordnet()).model.trust_remote_code is False
    on = spec_from_dict({**tiny_wordnet(), "model": {"name": "x/y", "trust_remote_code": True}})
    assert on.model.trust_remote_code is True
    calls = [
        line
        for p in SRC.rglob("*.py")
        for line in p.read_text().splitlines()
        if "trust_remote_code=" in line
    ]
    assert calls and all("trust_remote_code=True" not in c for c in calls), calls
