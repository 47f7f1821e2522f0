"""Scoring knowledge updates by log-probability margins: which version of a fact wins.

    plan = stream.info["knowledge"]          # from the `facts-updates` stream
    targets = current_versions(plan, trained_tasks)
    record = score_groups(plan, trained_tasks, logp)   # logp[uid][object] = log-probability

After a stage, a fact of a domain already trained has a *target*, its newest version among
the tasks trained so far, and, once revised, a *previous* version. Its margin is log p(target)
- max log p(o) over the other objects of its relation: positive means the target wins. A
revised fact also has an old margin, log p(target) - log p(previous): positive means the old
version no longer beats the new one. Groups at each stage:

- `revised`: facts revised by a trained update (the new version must win, the old must not);
- `unrevised`: the other facts of the revised domains (their knowledge must survive updates);
- `other`: facts of domains never revised.

Before training (stage -1) every fact counts, with its first version as target. Each group
reports n, the mean margin, `win` (share with margin > 0), for `revised` also `old_margin`
and `old_win`, and the majority-object baseline `majority_win`: the share of facts whose
target is the most common target among the facts of its relation (ties: first in name order),
what answering the relation's majority object would score.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping

GROUPS = ("revised", "unrevised", "other")


def current_versions(
    plan: list[dict], trained: Collection[str] | None
) -> dict[int, tuple[str, str | None, str]]:
    """uid -> (target, previous or None, group) for the facts scored after training the
    tasks in `trained` (None: before training, every fact with its first version)."""
    out = {}
    for fact in plan:
        versions = fact["versions"]
        if trained is None:
            out[fact["uid"]] = (versions[0][1], None, _group(fact, 0))
            continue
        if fact["task"] not in trained:
            continue
        seen = [i for i, (task, _) in enumerate(versions) if task in trained]
        last = seen[-1]
        previous = versions[seen[-2]][1] if len(seen) > 1 else None
        out[fact["uid"]] = (versions[last][1], previous, _group(fact, last))
    return out


def _group(fact: dict, version: int) -> str:
    if not fact["revisable"]:
        return "other"
    return "revised" if version > 0 else "unrevised"


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def score_groups(
    plan: list[dict],
    trained: Collection[str] | None,
    logp: Mapping[int, Mapping[str, float]],
) -> dict[str, dict]:
    """Per group: n, margin, win, majority_win (and old_margin, old_win for `revised`)."""
    current = current_versions(plan, trained)
    objects = {f["uid"]: tuple(f["objects"]) for f in plan}
    by_relation = Counter()
    for uid, (target, _, _) in current.items():
        by_relation[(objects[uid], target)] += 1
    majority = {}
    for rel in {objects[uid] for uid in current}:
        counts = {o: by_relation[(rel, o)] for o in rel}
        majority[rel] = max(sorted(counts), key=lambda o: counts[o])
    rows: dict[str, list[dict]] = {g: [] for g in GROUPS}
    for uid, (target, previous, group) in current.items():
        lp = logp[uid]
        margin = lp[target] - max(lp[o] for o in objects[uid] if o != target)
        row = {"margin": margin, "majority": float(majority[objects[uid]] == target)}
        if previous is not None:
            row["old_margin"] = lp[target] - lp[previous]
        rows[group].append(row)
    out = {}
    for group, rs in rows.items():
        margins = [r["margin"] for r in rs]
        rec = {
            "n": len(rs),
            "margin": _mean(margins),
            "win": _mean([float(m > 0) for m in margins]),
            "majority_win": _mean([r["majority"] for r in rs]),
        }
        if group == "revised":
            old = [r["old_margin"] for r in rs if "old_margin" in r]
            rec["old_margin"] = _mean(old)
            rec["old_win"] = _mean([float(m > 0) for m in old])
        out[group] = rec
    return out
