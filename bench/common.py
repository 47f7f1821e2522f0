"""Shared by the benchmarks: the specs they run, isolated child runs, tables, RESULTS.md.

    from common import bench_spec, describe_machine, run_isolated, write_section
    spec = bench_spec(small=True, sets=["train.epochs=1"])   # a forgetlab spec dict
    child = run_isolated("forgetlab", spec)                  # fresh process: its own peak RSS

Each workload runs in a fresh Python process (`bench/workloads.py`) so peak memory figures
never mix; the child prints one JSON line with its figures and its peak RSS.
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "RESULTS.md"

# --small: a quick check of the scripts (tiny-bert, 3 tasks x 3 classes, 60/20 per class)
SMALL = [
    "model.name=tiny-bert",
    "stream.n_tasks=3",
    "stream.train_per_class=60",
    "stream.test_per_class=20",
    "train.lr=2e-3",
]


def bench_spec(small: bool = False, sets: list[str] | None = None) -> dict:
    """The quickstart spec (MiniLM, WordNet 5 x 3 classes, 200/50 per class, 2 epochs) as a
    dict, with the --small overrides and the user's --set overrides applied and validated."""
    from forgetlab.spec import dump_spec, load_spec

    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    spec = load_spec(None, [*(SMALL if small else []), *(sets or [])])
    return tomllib.loads(dump_spec(spec))


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
        m = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
        if m:
            return m.group(1).strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_machine(threads: int | None = None) -> str:
    """One line: CPU model, cores, load, torch and its threads, GPU if any, Python."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    load = "/".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (
        f"{cpu_model()}, {cores} cores ({usable} usable), load {load}; torch {torch.__version__} "
        f"with {torch.get_num_threads()} threads; {gpu}; Python {platform.python_version()}"
    )


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def peer_python() -> Path:
    """The interpreter that has Avalanche: $FORGETLAB_PEER_PYTHON, else .venv-peer (see the
    Makefile's bench target: .venv's packages plus avalanche-lib and its torchvision, which
    must stay out of .venv because that torchvision breaks `import transformers` on CPU)."""
    path = Path(os.environ.get("FORGETLAB_PEER_PYTHON", BENCH.parent / ".venv-peer/bin/python"))
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `make bench` once to create .venv-peer")
    return path


def run_isolated(workload: str, spec: dict, threads: int | None = None, **options) -> dict:
    """Run `workload` (forgetlab | bare | avalanche) on `spec` in a fresh process; returns its
    JSON figures plus `process_s` (the child's whole life, imports included)."""
    payload = json.dumps({"spec": spec, "threads": threads, "options": options})
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    python = sys.executable
    if workload == "avalanche":
        python = str(peer_python())
        src = str(BENCH.parent / "src")  # forgetlab itself (an editable install in .venv)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [python, str(BENCH / "workloads.py"), workload],
        input=payload,
        capture_output=True,
        text=True,
        env=env,
        cwd=BENCH.parent,
    )
    process_s = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{workload} child failed:\n{proc.stderr[-3000:]}")
    lines = [x for x in proc.stdout.splitlines() if x.startswith("{")]
    return {**json.loads(lines[-1]), "process_s": process_s}


def markdown_table(header: list[str], rows: list[list]) -> str:
    def cell(v) -> str:
        if isinstance(v, float):
            return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"
        return str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def matrix_text(R: list[list[float]]) -> str:
    return "\n".join("  ".join(f"{x:.3f}" for x in row) for row in R)


def write_section(title: str, body: str, path: Path = RESULTS) -> None:
    """Replace the `## title` section of RESULTS.md (up to the next `## `), or append it."""
    from forgetlab.runs.store import atomic_write

    text = path.read_text() if path.exists() else "# Benchmark results\n"
    section = f"## {title}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    atomic_write(path, text)


def command_line() -> str:
    """How this script was invoked, relative to the repository root."""
    script = Path(sys.argv[0]).resolve()
    try:
        script = script.relative_to(BENCH.parent)
    except ValueError:
        pass
    return " ".join([".venv/bin/python", script.as_posix(), *sys.argv[1:]])
