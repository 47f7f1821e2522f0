"""`forgetlab ls KIND NAME` shows every field of an entry's spec; unknown keys list the valid ones."""

from __future__ import annotations

import pytest

from forgetlab.errors import SpecError
from forgetlab.spec import spec_from_dict
from forgetlab.spec.describe import field_rows
from forgetlab.strategies import strategies
from tests.conftest import cli  # noqa: F401


def test_field_rows_come_from_the_pydantic_model():
    rows = {r[0]: r[1:] for r in field_rows(strategies.get("ewc").Spec)}
    spec = strategies.get("ewc").Spec
    assert list(rows) == ["kind", *(k for k in spec.model_fields if k != "kind")]  # kind first
    assert rows["gamma"] == ("float >= 0, <= 1", "1.0", "online: decay of older importance")
    assert rows["fisher"][:2] == ('"true" | "empirical"', '"true"')
    assert rows["lambda_"][1] == str(spec.model_fields["lambda_"].default)


@pytest.mark.parametrize(
    "what, name, keys",
    [
        ("strategies", "ewc", ["lambda_", "fisher_samples", "normalize"]),
        ("streams", "files", ["task_column", "test_fraction", "label_column", "train"]),
        ("methods", "lora", ["target_modules", "use_dora", "alpha"]),
    ],
)
def test_ls_one_entry_prints_every_field(capsys, monkeypatch, what, name, keys):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, err = cli(capsys, "ls", what, name)
    assert code == 0, err
    from forgetlab.cli.ls import _registry

    spec = _registry(what).get(name).Spec
    for key in spec.model_fields:
        assert f"│ {key} " in out, key
    for key in keys:
        line = next(line for line in out.splitlines() if f"│ {key} " in line)
        assert line.count("│") == 5  # key, type, default, description filled in
    if what == "streams":  # files: `train` has no default
        assert "(required)" in out


def test_ls_unknown_entry_is_one_line_with_a_suggestion(capsys):
    code, out, err = cli(capsys, "ls", "strategies", "ewk")
    assert code == 2 and err == "error: unknown strategy 'ewk'; did you mean 'ewc'?\n"


def test_unknown_key_lists_the_valid_keys_of_its_table():
    with pytest.raises(SpecError) as e:
        spec_from_dict({"stream": {"kind": "wordnet-cil"}, "strategy": {"kind": "er", "sz": 1}})
    msg = str(e.value)
    assert "unknown key 'strategy.0.sz'; not a field. valid keys of [strategy]: kind, " in msg
    assert "memory_size" in msg and "replay_ratio" in msg
    with pytest.raises(SpecError) as e:
        spec_from_dict({"stream": {"kind": "wordnet-cil"}, "trian": {}})
    assert "did you mean 'train'? valid top-level keys: name, seed" in str(e.value)
