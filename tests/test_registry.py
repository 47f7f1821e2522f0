"""The registry: names, suggestions, and every built-in module registered."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import forgetlab.strategies
import forgetlab.streams
from forgetlab.errors import ForgetlabError
from forgetlab.registry import Registry
from forgetlab.strategies import HOOKS, Strategy, strategies


def test_unknown_name_suggests_the_closest():
    reg = Registry[int]("widget")
    reg.register("ewc")(1)
    reg.register("lwf")(2)
    with pytest.raises(ForgetlabError, match="unknown widget 'ewcc'; did you mean 'ewc'"):
        reg.get("ewcc")
    with pytest.raises(ForgetlabError, match="choose one of: ewc, lwf"):
        reg.get("zzz")


def test_duplicate_and_malformed_names_are_refused():
    reg = Registry[int]("widget")
    reg.register("a")(1)
    with pytest.raises(ValueError, match="twice"):
        reg.register("a")(2)
    with pytest.raises(ValueError, match="lowercase"):
        reg.register("Bad Name")


def test_every_strategy_module_registers_a_strategy():
    package = forgetlab.strategies
    registered = {strategies.get(n).__module__ for n in strategies}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name in package.HELPER_MODULES:
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        assert module.__name__ in registered, f"{module.__name__} registers no strategy"


def test_every_stream_module_registers_a_kind():
    from forgetlab.streams import stream_kinds

    registered = {stream_kinds.get(n).__module__ for n in stream_kinds}
    for info in pkgutil.iter_modules(forgetlab.streams.__path__):
        if not info.name.endswith("_stream"):
            continue
        assert f"forgetlab.streams.{info.name}" in registered


@pytest.mark.parametrize(
    "name", ["before_task", "begin_tasks", "end_tsk", "penalties", "trainables"]
)
def test_hook_typos_fail_at_class_creation(name: str):
    with pytest.raises(TypeError, match="looks like a hook"):
        type("Typo", (Strategy,), {name: lambda self, ctx: None})


def test_helper_methods_are_not_taken_for_hooks():
    type("Fine", (Strategy,), {"generate": lambda self: None, "importance": lambda self: None})


def test_every_hook_the_loop_calls_is_declared_on_the_base():
    import inspect

    from forgetlab.train import loop

    called = set(__import__("re").findall(r'timer\.call\(s, "(\w+)"', inspect.getsource(loop)))
    # installed on the learner by the run (train.stream), not called by the loop
    assert called == set(HOOKS) - {"route", "rebuild", "readout", "prompt_context"}
    assert all(callable(getattr(Strategy, h)) for h in HOOKS)


def test_fresh_strategies_hold_no_fitted_state():
    for name in strategies:
        cls = strategies.get(name)
        assert cls(cls.Spec()).fitted_state() == {}
