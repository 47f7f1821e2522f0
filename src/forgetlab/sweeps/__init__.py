"""Sweeps: a grid over spec fields, seeds and task orders, run by a process pool or Ray.

sweep = run_sweep(load_sweep_spec("experiments/sweeps/duplication_seeds.toml"))
sweep = load_sweep("runs/sweeps/duplication_seeds")     # the same tables, later
sweep.cells, sweep.grouped, sweep.order_sensitivity     # pandas DataFrames
"""

from __future__ import annotations

from forgetlab.sweeps.aggregate import Sweep, load_sweep, t_interval
from forgetlab.sweeps.grid import Cell, expand, set_path
from forgetlab.sweeps.plan import SweepPlan, plan_sweep
from forgetlab.sweeps.runner import execute, run_sweep
from forgetlab.sweeps.spec import BackendSpec, SweepSpec, load_sweep_spec

__all__ = [
    "BackendSpec",
    "Cell",
    "Sweep",
    "SweepPlan",
    "SweepSpec",
    "execute",
    "expand",
    "load_sweep",
    "load_sweep_spec",
    "plan_sweep",
    "run_sweep",
    "set_path",
    "t_interval",
]
