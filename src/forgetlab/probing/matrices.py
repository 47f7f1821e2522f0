"""Small helpers on the prober's matrices: JSON-safe floats, cache tags of stages, gaps
between two matrices and paired tests read back from records."""

from __future__ import annotations

import math

from forgetlab.probing.schema import Matrix, PairedTestResult

INITIAL = "initial"  # cache tag of the model before fine-tuning


def finite_or_none(x: float | None) -> float | None:
    """JSON-safe float: NaN and infinities become None."""
    return None if x is None or not math.isfinite(x) else float(x)


def stage_tag(stage: int) -> str:
    return INITIAL if stage < 0 else f"stage_{stage:03d}"


def tests_of(row: list | None, T: int) -> list[PairedTestResult | None]:
    if row is None:
        return [None] * T
    return [PairedTestResult(**t) if t is not None else None for t in row]


def gap(P: Matrix, Q: Matrix) -> Matrix:
    """P - Q where both are defined (rows of P; missing rows of Q give null)."""
    out = []
    for i, row in enumerate(P):
        q = Q[i] if i < len(Q) else [None] * len(row)
        out.append(
            [
                finite_or_none(p - b) if p is not None and b is not None else None
                for p, b in zip(row, q)
            ]
        )
    return out
