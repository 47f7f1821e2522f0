"""Sweep spec and grid expansion: counts, dotted list paths, seeds x orders x axes, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomli_w

from forgetlab.errors import SpecError
from forgetlab.sweeps import expand, load_sweep_spec, set_path
from forgetlab.sweeps.plan import plan_sweep
from tests.conftest import tiny_wordnet


def write(path: Path, data: dict) -> Path:
    path.write_text(tomli_w.dumps(data))
    return path


def sweep_file(tmp_path: Path, **fields) -> Path:
    return write(tmp_path / "sweep.toml", {"base": tiny_wordnet(), **fields})


def test_axes_seeds_and_orders_make_the_product(tmp_path: Path):
    base = write(tmp_path / "base.toml", tiny_wordnet())
    path = tmp_path / "sweep.toml"
    path.write_text(
        'base = "base.toml"\nseeds = [0, 1, 2]\norders = 2\n'
        '[axes]\ntrain.lr = [1e-3, 2e-3]\n"stream.n_tasks" = [2, 3, 4]\n'
    )
    spec = load_sweep_spec(path)
    assert spec.name == "sweep" and spec.base == load_sweep_spec(path).base
    assert spec.base["train"]["lr"] == tiny_wordnet()["train"]["lr"] and base.is_file()
    cells = expand(spec)
    assert len(cells) == 2 * 3 * 2 * 3 == 36
    assert len({c.id for c in cells}) == 36 and cells[0].id == "c000" and cells[-1].id == "c035"
    assert list(spec.axes) == ["train.lr", "stream.n_tasks"]  # nested TOML tables flatten
    # seeds innermost, then orders, then the axes in file order
    assert [(c.seed, c.order) for c in cells[:6]] == [
        (0, 0),
        (1, 0),
        (2, 0),
        (0, 1),
        (1, 1),
        (2, 1),
    ]
    assert cells[6].axes == {"train.lr": 1e-3, "stream.n_tasks": 3}
    last = cells[-1]
    assert last.axes == {"train.lr": 2e-3, "stream.n_tasks": 4} and last.seed == 2
    assert last.data["train"]["lr"] == 2e-3 and last.data["stream"]["n_tasks"] == 4
    assert last.data["seed"] == 2 and last.data["name"] == "sweep-c035"
    assert last.data["transform"] == [{"kind": "order", "seed": 1}]
    # the base is not touched by expansion
    assert spec.base["stream"]["n_tasks"] == 3 and "transform" not in spec.base


def test_no_axes_no_seeds_is_one_cell_with_the_base_seed(tmp_path: Path):
    cells = expand(load_sweep_spec(sweep_file(tmp_path, base={**tiny_wordnet(), "seed": 7})))
    assert len(cells) == 1 and cells[0].seed == 7 and cells[0].order is None
    assert "transform" not in cells[0].data


def test_seed_fields_take_each_cells_seed_so_replicates_draw_their_own_class_sets(
    tmp_path: Path,
):
    from forgetlab.spec import ExperimentSpec
    from forgetlab.streams import build_experiment_stream

    path = sweep_file(tmp_path, seeds=[0, 1, 2], seed_fields=["stream.seed"])
    cells = expand(load_sweep_spec(path))
    assert [(c.seed, c.data["stream"]["seed"]) for c in cells] == [(0, 0), (1, 1), (2, 2)]
    # without it, every replicate trains on the base's class set
    plain = expand(load_sweep_spec(sweep_file(tmp_path, seeds=[0, 1, 2])))
    assert {c.data["stream"].get("seed", 0) for c in plain} == {0}
    class_sets = [
        build_experiment_stream(ExperimentSpec.model_validate(c.data)).class_names for c in cells
    ]
    assert class_sets[0] != class_sets[1] and class_sets[1] != class_sets[2]
    # a path that does not exist in the spec names the cell
    bad = expand_error(tmp_path, seeds=[0], seed_fields=["strategy.3.seed"])
    assert "cell c000: seed_fields:" in bad


def expand_error(tmp_path: Path, **fields) -> str:
    with pytest.raises(SpecError) as e:
        expand(load_sweep_spec(sweep_file(tmp_path, **fields)))
    return str(e.value)


def test_explicit_orders_are_appended_after_the_base_transforms(tmp_path: Path):
    base = {**tiny_wordnet(), "transform": [{"kind": "duplicate", "factor": 1}]}
    spec = load_sweep_spec(
        sweep_file(
            tmp_path,
            base=base,
            orders=[[2, 0, 1], [1, 2, 0]],
            axes={"transform.0.factor": [1, 2, 4]},
        )
    )
    cells = expand(spec)
    assert len(cells) == 3 * 2
    assert cells[1].data["transform"] == [
        {"kind": "duplicate", "factor": 1},
        {"kind": "order", "order": [1, 2, 0]},
    ]
    assert cells[5].data["transform"][0] == {"kind": "duplicate", "factor": 4}
    assert cells[5].order == [1, 2, 0]


def test_base_with_its_own_order_transform_and_orders_axis_is_an_error(tmp_path: Path):
    base = {**tiny_wordnet(), "transform": [{"kind": "order", "seed": 3}]}
    with pytest.raises(SpecError, match="already has an `order` transform"):
        expand(load_sweep_spec(sweep_file(tmp_path, base=base, orders=2)))


def test_set_path_addresses_list_items_and_the_single_strategy_shorthand():
    data = {"strategy": {"kind": "ewc"}, "transform": [{"kind": "a"}, {"kind": "b", "x": 1}]}
    set_path(data, "strategy.0.lambda_", 10.0)  # a single [strategy] table is item 0
    assert data["strategy"] == [{"kind": "ewc", "lambda_": 10.0}]
    set_path(data, "strategy.samples", 64)  # shorthand through a one-item list
    assert data["strategy"] == [{"kind": "ewc", "lambda_": 10.0, "samples": 64}]
    set_path(data, "transform.1.x", 5)
    assert data["transform"][1] == {"kind": "b", "x": 5}
    set_path(data, "train.lr", 3e-4)  # missing tables are created
    assert data["train"] == {"lr": 3e-4}
    set_path(data, "method", {"kind": "lora", "r": 4})  # a whole section as one value
    assert data["method"] == {"kind": "lora", "r": 4}
    with pytest.raises(SpecError, match=r"transform\.2: index 2 is past the end"):
        set_path(data, "transform.2.x", 1)
    with pytest.raises(SpecError, match="transform has 2 items"):
        set_path(data, "transform.x", 1)


def test_axis_path_through_a_missing_list_item_names_the_cell(tmp_path: Path):
    spec = load_sweep_spec(sweep_file(tmp_path, axes={"transform.0.factor": [1, 2]}))
    with pytest.raises(
        SpecError, match=r"^cell c000: axes\.transform\.0\.factor: the base has no transform list"
    ):
        expand(spec)


def test_axis_data_paths_are_relative_to_the_sweep_file(tmp_path: Path, toy_files):
    train, test = toy_files
    (tmp_path / "sub").mkdir()
    base = {"model": {"name": "tiny-bert"}, "stream": {"kind": "files", "train": "../train.jsonl"}}
    write(tmp_path / "sub" / "base.toml", base)  # base paths: relative to the base file
    spec = load_sweep_spec(
        write(
            tmp_path / "s.toml", {"base": "sub/base.toml", "axes": {"stream.test": ["test.jsonl"]}}
        )
    )
    cell = expand(spec)[0]
    assert cell.data["stream"]["train"] == str(train.resolve())
    assert cell.data["stream"]["test"] == str(test.resolve())


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"axes": {"train.lr": []}}, r"axes\.train\.lr: list should have at least 1 item"),
        ({"seeds": []}, r"seeds: list should have at least 1 item"),
        ({"orders": 0}, r"orders"),
        ({"axes": {"seed": [1, 2]}}, r"use `seeds = \[\.\.\.\]`"),
        ({"seed_fields": ["seed"]}, r"seed_fields: `seed` already takes the seed"),
        (
            {"seed_fields": ["stream.seed"], "axes": {"stream.seed": [0, 1]}},
            r"seed_fields: 'stream\.seed' is also an axis",
        ),
        ({"axis": {"train.lr": [1]}}, r"unknown key 'axis'; did you mean 'axes'\?"),
        ({"backend": {"kind": "slurm"}}, r"backend\.kind"),
        ({"backend": {"worker": 2}}, r"unknown key 'backend\.worker'; did you mean 'workers'\?"),
    ],
)
def test_bad_sweep_fields_are_one_line_errors(tmp_path: Path, fields: dict, message: str):
    with pytest.raises(SpecError, match=message) as e:
        load_sweep_spec(sweep_file(tmp_path, **fields))
    assert "\n" not in str(e.value)


def test_missing_base_and_missing_base_file(tmp_path: Path):
    with pytest.raises(SpecError, match="base: missing"):
        load_sweep_spec(write(tmp_path / "a.toml", {"seeds": [1]}))
    with pytest.raises(SpecError, match=r"base: spec file .*nope\.toml' does not exist"):
        load_sweep_spec(write(tmp_path / "b.toml", {"base": "nope.toml"}))


def test_every_cell_is_validated_before_anything_runs(tmp_path: Path):
    spec = load_sweep_spec(sweep_file(tmp_path, axes={"stream.n_taks": [2]}))
    with pytest.raises(SpecError) as e:
        plan_sweep(spec, check_data=False)
    assert str(e.value).startswith(
        "cell c000 (stream.n_taks=2, seed=0): unknown key 'stream.n_taks'; did you mean 'n_tasks'?"
        " valid keys of [stream]: kind, "  # the table's keys follow (issue 14)
    )
    spec = load_sweep_spec(sweep_file(tmp_path, axes={"train.lr": [1e-3, -1.0]}, seeds=[0, 1]))
    with pytest.raises(SpecError, match=r"^cell c002 \(train\.lr=-1\.0, seed=0\): train\.lr: "):
        plan_sweep(spec, check_data=False)
    # data checks (names, files) run once per distinct stream/model, not per seed
    spec = load_sweep_spec(sweep_file(tmp_path, axes={"model.name": ["tiny-bert", "tiny-bret"]}))
    with pytest.raises(SpecError, match=r"^cell c001 \(model\.name=\"tiny-bret\", seed=0\): "):
        plan_sweep(spec)


def test_plan_of_a_good_sweep_has_a_validated_spec_per_cell(tmp_path: Path):
    spec = load_sweep_spec(sweep_file(tmp_path, axes={"train.lr": [1e-3, 2e-3]}, seeds=[0, 1]))
    plan = plan_sweep(spec)
    assert [plan.specs[c.id].train.lr for c in plan.cells] == [1e-3, 1e-3, 2e-3, 2e-3]
    assert [plan.specs[c.id].seed for c in plan.cells] == [0, 1, 0, 1]
