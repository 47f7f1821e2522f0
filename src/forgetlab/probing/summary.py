"""P against R (and P0) after the last probed stage, on the same tasks, in numbers and in a
few lines of text.

    rows = kind_summaries(results["probing"], results["accuracy_matrix"])   # one per kind
    print(probing_summary(results["probing"], results["accuracy_matrix"]))

Every mean is over the same tasks: the old tasks of the last probed stage (all tasks seen
before it; the only one when one task was seen), so P - R is exactly mean P minus mean R.
A task counts as "P above R" when its paired test says p < 0.05 and P is higher; tasks with
p >= 0.05 are "not distinguishable". `probing` is the `probing` object of results.json (a
dict) or a ProbingResults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ALPHA = 0.05


def _as_dict(probing: Any) -> dict:
    return probing.model_dump() if hasattr(probing, "model_dump") else dict(probing or {})


def _row(M: list | None, i: int) -> list:
    return list(M[i]) if M and i < len(M) and M[i] is not None else []


def _at(row: list, j: int):
    return row[j] if j < len(row) else None


def _mean(values: list) -> float | None:
    vals = [float(v) for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


@dataclass(frozen=True)
class KindSummary:
    """One probe kind after stage `stage`, over `tasks` (the same for every number)."""

    kind: str
    stage: int
    tasks: list[int]
    best_layer: int | None
    R: float | None
    P: float | None
    P_best: float | None
    P0: float | None
    above_R: int | None = None  # tasks with P > R at p < ALPHA; None without tests
    below_R: int | None = None
    above_P0: int | None = None
    below_P0: int | None = None
    per_task: list[dict] = field(default_factory=list)

    @property
    def gap_R(self) -> float | None:
        return None if self.P is None or self.R is None else self.P - self.R

    @property
    def gap_P0(self) -> float | None:
        return None if self.P is None or self.P0 is None else self.P - self.P0


def last_stage(P: list) -> int | None:
    """The last stage with a probed row."""
    rows = [i for i, row in enumerate(P or []) if row and any(v is not None for v in row)]
    return rows[-1] if rows else None


def old_tasks(row: list, stage: int) -> list[int]:
    """Tasks scored at `stage` except its own (newest) one; that one if it is alone."""
    seen = [j for j, v in enumerate(row) if v is not None]
    old = [j for j in seen if j != stage]
    return old or seen


def _count(tests: list, tasks: list[int], sign: int) -> int | None:
    got = [_at(tests, j) for j in tasks]
    if not got or any(t is None for t in got):
        return None
    return sum(1 for t in got if t["p"] < ALPHA and t["diff"] * sign > 0)


def kind_summaries(probing: Any, R: list | None = None) -> list[KindSummary]:
    """One KindSummary per probe kind (the primary first) after the last probed stage."""
    probing = _as_dict(probing)
    by = probing.get("by_probe") or {}
    kinds = sorted(by, key=lambda k: (k != "linear", list(by).index(k)))
    out = []
    for kind in kinds:
        e = by[kind]
        i = last_stage(e.get("accuracy_matrix"))
        if i is None:
            continue
        P = _row(e.get("accuracy_matrix"), i)
        tasks = old_tasks(P, i)
        Rrow, P0 = _row(R, i), _row(e.get("baseline_accuracy_matrix"), i)
        Pb, Pint = _row(e.get("best_layer_accuracy_matrix"), i), _row(e.get("accuracy_interval"), i)
        P0int = _row(e.get("baseline_accuracy_interval"), i)
        vsR, vs0 = _row(e.get("test_vs_model"), i), _row(e.get("test_vs_baseline"), i)
        best = _at(e.get("best_layer") or [], i)
        per_task = [
            {
                "task": j,
                "R": _at(Rrow, j),
                "P": _at(P, j),
                "P_interval": _at(Pint, j),
                "P0": _at(P0, j),
                "P0_interval": _at(P0int, j),
                "vs_R": _at(vsR, j),
                "vs_P0": _at(vs0, j),
            }
            for j in tasks
        ]
        out.append(
            KindSummary(
                kind=kind,
                stage=i,
                tasks=tasks,
                best_layer=best,
                R=_mean([_at(Rrow, j) for j in tasks]) if Rrow else None,
                P=_mean([_at(P, j) for j in tasks]),
                P_best=_mean([_at(Pb, j) for j in tasks]),
                P0=_mean([_at(P0, j) for j in tasks]) if P0 else None,
                above_R=_count(vsR, tasks, 1),
                below_R=_count(vsR, tasks, -1),
                above_P0=_count(vs0, tasks, 1),
                below_P0=_count(vs0, tasks, -1),
                per_task=per_task,
            )
        )
    return out


def _f(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _verdict(above: int | None, below: int | None, n: int, than: str) -> str:
    if above is None:
        return f"P vs {than}: no paired tests recorded"
    same = n - above - below
    return (
        f"P above {than} on {above}, below on {below}, not distinguishable on {same} "
        f"(paired tests, p < {ALPHA})"
    )


def probing_summary(probing: Any, R: list | None = None) -> str:
    """Two lines: the primary probe's P against R and P0 after the last probed stage."""
    rows = kind_summaries(probing, R)
    if not rows:
        return "probing: no stage probed"
    s = rows[0]
    d = _as_dict(probing)
    layers = d.get("layers") or ["?"]
    tasks = ", ".join(str(j) for j in s.tasks)
    k = d.get("subsamples") or 1
    return (
        f"probing ({s.kind} probe, layer {layers[-1]}, {k} subsample{'s' * (k != 1)}), after "
        f"stage {s.stage} on tasks {tasks}: model R {_f(s.R)}, probe P {_f(s.P)}, untrained "
        f"P0 {_f(s.P0)}; P - R {_f(s.gap_R)}, P - P0 {_f(s.gap_P0)}; best layer "
        f"{s.best_layer if s.best_layer is not None else 'n/a'} (validation): P {_f(s.P_best)}\n"
        f"  over {len(s.tasks)} task{'s' * (len(s.tasks) != 1)}: "
        f"{_verdict(s.above_R, s.below_R, len(s.tasks), 'R')}; "
        f"{_verdict(s.above_P0, s.below_P0, len(s.tasks), 'P0')}"
    )
