"""Run every benchmark one after the other and print their figures (`make bench`).

    .venv/bin/python bench/run_all.py                  # full settings (about 25 min on 2 cores)
    .venv/bin/python bench/run_all.py --small          # tiny settings: checks the scripts
    .venv/bin/python bench/run_all.py --write --threads 2 --only overhead mfu

Each benchmark is its own script in bench/ (run it alone for details); this one runs them in
fresh processes, streams their output, and with `--write` lets each replace its section of
bench/RESULTS.md (a script without --write has its output written here). A failing benchmark is
reported and the others still run; the exit code is 1 if any failed. Run on an idle machine:
the figures are wall-clock times.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from common import BENCH, describe_machine, write_section


@dataclass(frozen=True)
class Bench:
    name: str
    script: str  # file in bench/
    args: list[str] = field(default_factory=list)  # full settings
    small: list[str] = field(default_factory=list)  # replaces `args` with --small
    writes: bool = True  # the script has --write (else run_all writes its output)
    common: bool = True  # the script takes --small/--set/--threads (bench/overhead.py's args)


SAVED = Path(tempfile.gettempdir()) / "forgetlab-bench-overhead.json"

BENCHES = [
    Bench("importance", "importance.py"),
    Bench("replay_padding", "replay_padding.py"),
    Bench("overhead", "overhead.py", ["--save", str(SAVED)], ["--save", str(SAVED)]),
    Bench("mfu", "mfu.py", ["--runs", str(SAVED)], ["--runs", str(SAVED)]),  # after overhead
    Bench("avalanche", "avalanche_peer.py"),
    Bench("eval_cache", "eval_cache.py"),
]

# Hook for benchmarks of other issues (probing speed, sweep throughput): append a Bench here,
# e.g. Bench("probing", "probe_overhead.py", [...], [...], writes=False, common=False).
EXTRA: list[Bench] = [
    Bench("probing", "probing_cost.py", [], ["--small"], common=False),
    Bench("probing_parts", "probing_components.py", [], ["--train-examples", "64"], common=False),
    Bench("sweep", "sweep_speed.py", [], ["--small"], common=False),
]


def command(b: Bench, args: argparse.Namespace) -> list[str]:
    cmd = [sys.executable, str(BENCH / b.script), *(b.small if args.small else b.args)]
    if b.common:
        cmd += ["--small"] if args.small else []
        cmd += ["--threads", str(args.threads)] if args.threads else []
        cmd += [a for s in args.sets for a in ("--set", s)]
        cmd += ["--write"] if args.write and b.writes else []
    return cmd


def run(b: Bench, args: argparse.Namespace) -> bool:
    cmd = command(b, args)
    shown = " ".join([".venv/bin/python", f"bench/{b.script}", *cmd[2:]])
    print(f"\n=== {b.name}: {shown}", flush=True)
    if b.writes:
        return subprocess.run(cmd, cwd=BENCH.parent).returncode == 0
    proc = subprocess.run(cmd, cwd=BENCH.parent, capture_output=True, text=True)
    print(proc.stdout, end="")
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
        return False
    if args.write:
        body = f"```\n{shown}\n```\n\n```\n{proc.stdout.strip()}\n```"
        title = f"{b.name}: latest run_all output" + (" (--small)" if args.small else "")
        write_section(title, f"Machine: {describe_machine(args.threads)}\n\n{body}")
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="tiny settings: checks the scripts")
    ap.add_argument("--threads", type=int, default=None, help="torch threads in each run")
    ap.add_argument("--set", dest="sets", action="append", default=[], help="spec override")
    ap.add_argument("--write", action="store_true", help="replace the sections in RESULTS.md")
    ap.add_argument("--only", nargs="+", help="run only these benchmarks")
    ap.add_argument("--skip", nargs="+", default=[], help="do not run these")
    args = ap.parse_args()
    print(f"Machine: {describe_machine(args.threads)}")
    SAVED.unlink(missing_ok=True)  # mfu reuses the overhead runs of this invocation only
    selected = [
        b
        for b in [*BENCHES, *EXTRA]
        if (not args.only or b.name in args.only) and b.name not in args.skip
    ]
    if any(b.name == "mfu" for b in selected) and not any(b.name == "overhead" for b in selected):
        selected = [b if b.name != "mfu" else Bench("mfu", "mfu.py") for b in selected]
    failed = [b.name for b in selected if not run(b, args)]
    print(f"\n{len(selected) - len(failed)} of {len(selected)} benchmarks ran", end="")
    print(f"; failed: {', '.join(failed)}" if failed else "")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
