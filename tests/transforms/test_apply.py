"""Transforms in the experiment spec: registration, one table or a list, composition, seeds,
names, and `validate` building the transformed stream."""

from __future__ import annotations

import pkgutil

import pytest

import forgetlab.streams.transforms as transforms_pkg
from forgetlab.errors import SpecError
from forgetlab.spec import dump_spec, spec_from_dict
from forgetlab.streams import build_experiment_stream
from forgetlab.streams.transforms import HELPER_MODULES, transforms
from forgetlab.validate import validate
from tests.conftest import tiny_wordnet
from tests.transforms.helpers import apply, check_invariants, toy_stream

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


def test_every_module_registers_its_transform():
    modules = {m.name for m in pkgutil.iter_modules(transforms_pkg.__path__)} - HELPER_MODULES
    assert modules == set(transforms.names())
    assert set(transforms.names()) == {
        "duplicate",
        "near_duplicate",
        "long_tail",
        "imbalance",
        "few_shot",
        "sparsity",
        "order",
        "prompt_design",
    }


def test_one_table_or_a_list_and_a_round_trip():
    one = spec_from_dict({**tiny_wordnet(), "transform": {"kind": "duplicate", "factor": 3}})
    assert [t.kind for t in one.transform] == ["duplicate"] and one.transform[0].factor == 3
    assert spec_from_dict(tiny_wordnet()).transform == ()
    two = spec_from_dict(
        {
            **tiny_wordnet(),
            "transform": [{"kind": "order", "order": [2, 0, 1]}, {"kind": "few_shot", "k": 4}],
        }
    )
    assert spec_from_dict(tomllib.loads(dump_spec(two))) == two


def test_unknown_kind_or_key_names_the_entry():
    with pytest.raises(
        SpecError,
        match=r"^transform.0.kind: unknown transform 'duplicat'; did you mean 'duplicate'\?$",
    ):
        spec_from_dict({**tiny_wordnet(), "transform": {"kind": "duplicat"}})
    with pytest.raises(SpecError, match="^unknown key 'transform.1.z'"):
        spec_from_dict(
            {**tiny_wordnet(), "transform": [{"kind": "order"}, {"kind": "long_tail", "z": 1}]}
        )


def test_composition_is_in_order():
    base = toy_stream([[6, 6]])
    a = apply(base, {"kind": "few_shot", "k": 2}, {"kind": "duplicate", "factor": 3})
    b = apply(base, {"kind": "duplicate", "factor": 3}, {"kind": "few_shot", "k": 2})
    assert len(a.tasks[0].train) == 12 and len(b.tasks[0].train) == 4
    assert a.name == "toy+few_shot(2)+duplicate(3)"
    assert a.info["transforms"] == ["few_shot(2)", "duplicate(3)"]
    check_invariants(a)
    assert base == toy_stream([[6, 6]])  # the input stream is not changed


def test_each_transform_has_its_own_generator():
    # adding an `order` before `few_shot` does not change which examples few_shot keeps
    base = toy_stream([[8, 8], [8, 8]])
    alone = apply(base, {"kind": "few_shot", "k": 3}, seed=5)
    after = apply(base, {"kind": "order", "order": [0, 1]}, {"kind": "few_shot", "k": 3}, seed=5)
    assert [t.train for t in after.tasks] == [t.train for t in alone.tasks]


def test_validate_builds_the_transformed_stream():
    spec = spec_from_dict(
        {
            **tiny_wordnet(n_tasks=3, classes_per_task=2, train_per_class=20, test_per_class=5),
            "transform": [
                {"kind": "order", "order": [2, 0, 1]},
                {"kind": "sparsity", "keep": 0.5, "tasks": [0]},
            ],
        }
    )
    report = validate(spec)
    assert report.stream.name == "wordnet-cil+order(2,0,1)+sparsity(0.5,tasks=0)"
    assert [len(t.train) for t in report.stream.tasks] == [20, 40, 40]
    plain = build_experiment_stream(spec.model_copy(update={"transform": ()}))
    assert report.stream.task_names == [plain.task_names[i] for i in (2, 0, 1)]
    check_invariants(report.stream)
