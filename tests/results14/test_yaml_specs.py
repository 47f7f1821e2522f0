"""YAML specs load like TOML ones: same spec, same validation, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomli_w
import yaml

from forgetlab.errors import SpecError
from forgetlab.spec import load_spec
from tests.conftest import cli, tiny_wordnet  # noqa: F401


def test_yaml_spec_equals_the_toml_spec(tmp_path: Path):
    data = tiny_wordnet(n_tasks=2)
    (tmp_path / "exp.toml").write_text(tomli_w.dumps(data))
    (tmp_path / "exp.yaml").write_text(yaml.safe_dump(data))
    (tmp_path / "exp.yml").write_text(yaml.safe_dump(data))
    toml_spec = load_spec(tmp_path / "exp.toml", ["train.lr=3e-5"])
    assert load_spec(tmp_path / "exp.yaml", ["train.lr=3e-5"]) == toml_spec
    assert load_spec(tmp_path / "exp.yml", ["train.lr=3e-5"]) == toml_spec
    assert toml_spec.train.lr == 3e-5 and toml_spec.stream.n_tasks == 2


def test_yaml_numbers_without_a_dot_and_relative_paths(tmp_path: Path):
    # YAML 1.1 reads 3e-5 as a string; the spec still gets the number
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.jsonl").write_text('{"text": "a", "label": "x"}\n')
    text = (
        "name: y\nmodel: {name: tiny-bert}\n"
        "stream: {kind: files, train: data/train.jsonl}\n"
        "train:\n  lr: 3e-5\n  epochs: 1\n"
    )
    (tmp_path / "exp.yaml").write_text(text)
    spec = load_spec(tmp_path / "exp.yaml")
    assert spec.train.lr == pytest.approx(3e-5) and isinstance(spec.train.lr, float)
    assert Path(spec.stream.train) == (tmp_path / "data" / "train.jsonl").resolve()


@pytest.mark.parametrize(
    "text, message",
    [
        ("name: x\ntrain: {lr: [1, 2\n", "is not valid YAML at line"),
        ("- a\n- b\n", "the top level must be a mapping of keys (got list)"),
        ("name: x\ntrain: {lr_rate: 0.1}\n", "unknown key 'train.lr_rate'"),
        ("name: x\ntrain: {lr: fast}\n", "train.lr: "),
        ("a: &x [1, 2]\nb: *x\n", "aliases (*name) are not accepted"),
        ("name: x\n1: 2\n", "key '1' must be a string"),
    ],
)
def test_bad_yaml_is_one_line_naming_the_problem(tmp_path: Path, text: str, message: str):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as e:
        load_spec(path)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_cli_validate_and_error_for_yaml(tmp_path: Path, capsys):
    path = tmp_path / "exp.yml"
    path.write_text(yaml.safe_dump(tiny_wordnet(n_tasks=2)))
    code, out, err = cli(capsys, "validate", str(path))
    assert code == 0, err
    path.write_text("name: x\nstrategy: {kind: ewk}\n")
    code, out, err = cli(capsys, "validate", str(path))
    assert code == 2 and err.startswith("error: ") and "ewk" in err and "did you mean" in err
    assert err.count("\n") == 1


def test_the_yaml_example_is_the_toml_example():
    from forgetlab.validate import validate

    root = Path(__file__).parent.parent.parent / "experiments" / "files"
    yaml_spec, toml_spec = load_spec(root / "keywords.yaml"), load_spec(root / "keywords.toml")
    assert yaml_spec.model_copy(update={"name": "keywords"}) == toml_spec
    report = validate(yaml_spec)
    assert len(report.stream.tasks) >= 2
