"""Print a pretraining ladder's tables (markdown) from its rungs' results.json: one row per
rung (parameters, shape, tokens, wall time, tokens/s, final held-out perplexity), then the
held-out perplexity at every checkpoint (rows: tokens seen; columns: rungs, smallest first).

    python experiments/scale/ladder_table.py runs/sweeps/scale-ladder
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def rungs(sweep: Path) -> list[dict]:
    """The finished rungs of a ladder sweep directory (or one pretraining run), smallest first."""
    dirs = sorted((sweep / "cells").glob("c*")) if (sweep / "cells").is_dir() else [sweep]
    found = []
    for d in dirs:
        res = json.loads((d / "results.json").read_text())
        found.append({"cell": d.name, **res})
    return sorted(found, key=lambda r: r["model"]["total_params"])


def tables(found: list[dict]) -> str:
    lines = [
        "| cell | parameters | layers x hidden (heads) | status | tokens | checkpoints "
        "| wall minutes | tokens/s | held-out ppl |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in found:
        s = r["model"]["shape"]
        lines.append(
            f"| {r['cell']} | {r['model']['total_params']:,} | {s['layers']} x {s['hidden']} "
            f"({s['heads']}) | {r['status']} | {r['tokens_seen']:,} | {len(r['checkpoints'])} "
            f"| {r['wall_time_s'] / 60:.1f} | {r['tokens_per_s']:,.0f} "
            f"| {r['metrics']['heldout_ppl']:,.1f} |"
        )
    tokens = sorted({c["tokens"] for r in found for c in r["checkpoints"]})
    header = " | ".join(f"{r['model']['total_params'] / 1e6:.1f}M" for r in found)
    lines += ["", f"| tokens | {header} |", "|---|" + "---|" * len(found)]
    for t in tokens:
        cells = []
        for r in found:
            ppl = [c["heldout_ppl"] for c in r["checkpoints"] if c["tokens"] == t]
            cells.append(f"{ppl[0]:,.1f}" if ppl else "")
        lines.append(f"| {t:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ladder", type=Path, help="a ladder sweep directory or one pretraining run")
    print(tables(rungs(ap.parse_args().ladder)))


if __name__ == "__main__":
    main()
