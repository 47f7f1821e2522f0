"""The spec: TOML round trip, dotted overrides, and errors that name the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from forgetlab.errors import SpecError
from forgetlab.spec import dump_spec, load_spec, spec_from_dict


def test_quickstart_loads_and_round_trips(tmp_path: Path):
    spec = load_spec()
    assert spec.model.name == "minilm" and spec.stream.kind == "wordnet-cil"
    assert [s.kind for s in spec.strategy] == ["seq"]
    path = tmp_path / "spec.toml"
    path.write_text(dump_spec(spec))
    assert load_spec(path) == spec


def test_overrides_are_typed_and_reach_nested_and_single_strategy(tmp_path: Path):
    spec = load_spec(
        None,
        [
            "train.lr=3e-5",
            "stream.n_tasks=2",
            "strategy.kind=joint",
            "name=my-run",
            "model.config_overrides={n_layer = 4}",
        ],
    )
    assert spec.train.lr == 3e-5 and spec.stream.n_tasks == 2
    assert spec.strategy[0].kind == "joint"
    assert spec.name == "my-run"
    assert spec.model.config_overrides == {"n_layer": 4}


def test_spec_is_frozen():
    spec = load_spec()
    with pytest.raises(ValidationError):
        spec.train.lr = 1.0  # type: ignore[misc]


def test_strategy_list_in_toml(tmp_path: Path):
    path = tmp_path / "s.toml"
    path.write_text(
        '[stream]\nkind = "wordnet-til"\n[[strategy]]\nkind = "seq"\n[[strategy]]\nkind = "joint"\n'
    )
    assert [s.kind for s in load_spec(path).strategy] == ["seq", "joint"]


def test_relative_data_paths_resolve_next_to_the_spec(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "s.toml"
    path.write_text('[stream]\nkind = "files"\ntrain = "data/train.jsonl"\n')
    assert load_spec(path).stream.train == (tmp_path / "sub" / "data" / "train.jsonl").resolve()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"stream": {"kind": "wordnet-cil"}, "trian": {}},
            "unknown key 'trian'; did you mean 'train'",
        ),
        (
            {"stream": {"kind": "wordnet-cil", "n_task": 2}},
            "unknown key 'stream.n_task'; did you mean 'n_tasks'",
        ),
        (
            {"stream": {"kind": "wordnet-cli"}},
            "stream.kind: unknown stream kind 'wordnet-cli'; did you mean 'wordnet-cil'",
        ),
        (
            {"stream": {"kind": "wordnet-cil"}, "strategy": {"kind": "jiont"}},
            "unknown strategy 'jiont'; did you mean 'joint'",
        ),
        (
            {"stream": {"kind": "wordnet-cil"}, "train": {"epochs": "two"}},
            "train.epochs: input should be a valid integer",
        ),
        (
            {"stream": {"kind": "wordnet-cil"}, "train": {"batch_size": 0}},
            "train.batch_size: input should be greater than 0",
        ),
        (
            {"stream": {"kind": "wordnet-cil"}, "train": {"lr": -1e-3}},
            "train.lr: input should be greater than 0",
        ),
        (
            {"stream": {"kind": "wordnet-cil"}, "train": {"lr": float("nan")}},
            "train.lr: input should be a finite number",
        ),
        ({"stream": {"kind": "files"}}, "stream.train: missing required key"),
        (
            {"stream": {"kind": "wordnet-cil", "classes": [["noun.anmal"]]}},
            "did you mean 'noun.animal'",
        ),
        ({}, "stream: missing required key"),
    ],
)
def test_bad_specs_name_the_field(data: dict, message: str):
    with pytest.raises(SpecError) as e:
        spec_from_dict(data)
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_bad_toml_and_missing_file(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[train\nlr = 1")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(bad)
    with pytest.raises(SpecError, match="does not exist"):
        load_spec(tmp_path / "nope.toml")
    with pytest.raises(SpecError, match="expected KEY=VALUE"):
        load_spec(None, ["train.lr"])


def test_overrides_address_list_items_by_index():
    from forgetlab.errors import SpecError
    from forgetlab.spec import apply_overrides

    data = {"transform": [{"kind": "duplicate"}, {"kind": "order"}]}
    assert apply_overrides(data, ["transform.1.seed=3"])["transform"][1] == {
        "kind": "order",
        "seed": 3,
    }
    with pytest.raises(SpecError, match="has 2 items; name one"):
        apply_overrides(data, ["transform.seed=3"])
