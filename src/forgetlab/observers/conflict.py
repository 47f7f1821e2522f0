"""`conflict`: what a knowledge conflict does to the facts it rewrites (facts streams with
`conflict > 0`, causal LMs).

Top-1 accuracy on an overwritten fact is the wrong measure: the new object is among the
candidates, so once the rewrite is learned the original cannot rank first, whatever the model
still knows. Before the conflict task (stage T-2) and after it (T-1), this observer scores
every original test fact by the original object's log-probability margin over the best other
candidate, the new object excluded:

    margin = log p(original) - max over candidates c not in {original, new} of log p(c)

(untouched facts have no new object: the best other candidate). `accuracy_excl_new` is the
share with margin > 0. A drop of the overwritten facts' margin beyond the untouched ones'
is forgetting caused by the conflict; a same-size control task of unrelated new facts
(`stream.conflict_task = "control"`, same facts tagged) gives the drop any new training
causes. `majority` is the accuracy of always answering the relation's most frequent object.

results.json `conflict`: last_task (conflict | control), stages [T-2, T-1], by_task[task]
[group] {margin, accuracy_excl_new, majority, n} (margin and accuracy per stage), and
margin_change[group] (mean over tasks of margin at T-1 minus at T-2).
"""

from __future__ import annotations

from forgetlab.observers.base import History, Observer, ObserverEnv, StageView, register

GROUPS = ("overwritten", "untouched")


@register("conflict", help="facts conflicts: margins of original facts before/after the rewrite")
class Conflict(Observer):
    def __init__(self, env: ObserverEnv) -> None:
        self.stream = env.stream
        info = env.stream.info["conflict"]
        self.kind = info["task"]
        self.new_label = {int(k): v for k, v in info["new_label"].items()}
        self.majority_label = {int(k): v for k, v in info["majority_label"].items()}
        self.T = len(env.stream.tasks)

    @classmethod
    def build(cls, spec, env: ObserverEnv) -> Conflict | None:
        info = env.stream.info.get("conflict")
        if not info or env.learner.mode != "text_to_text" or len(env.stream.tasks) < 2:
            return None
        return cls(env)

    def _measure(self, view: StageView) -> dict:
        import torch

        from forgetlab.train.batching import eval_batches

        learner, out = view.learner, {}
        was_training = learner.training
        learner.eval()
        for k, task in enumerate(self.stream.tasks[:-1]):
            cands = self.stream.candidates(view.stage, k)
            pos = {c: i for i, c in enumerate(cands)}
            examples = [ex for ex in task.test if ex.group in GROUPS]
            sums: dict[str, list[float]] = {g: [0.0, 0.0, 0] for g in GROUPS}
            with torch.inference_mode():
                for items in eval_batches(view.encode(examples), 64):
                    batch = learner.collate(items).to(learner.device)
                    scores = learner.scores(batch, cands).float().cpu()  # (B, K)
                    for row, uid, label in zip(scores, batch.uids.tolist(), batch.labels.tolist()):
                        m = margin(row, pos, label, self.new_label.get(uid))
                        group = self._group(k, uid)
                        sums[group][0] += m
                        sums[group][1] += m > 0
                        sums[group][2] += 1
            out[task.name] = {
                g: {"margin": s[0] / s[2], "accuracy_excl_new": s[1] / s[2], "n": s[2]}
                for g, s in sums.items()
                if s[2]
            }
        learner.train(was_training)
        return out

    def _group(self, task: int, uid: int) -> str:
        return "overwritten" if uid in self.new_label else "untouched"

    def after_stage(self, view: StageView) -> dict | None:
        if view.stage not in (self.T - 2, self.T - 1):
            return None
        return {"conflict": self._measure(view)}

    def _records(self, history: History) -> list[dict]:
        stages = [self.T - 2, self.T - 1]
        return [
            (history.stages[s].get(self.name) or {}).get("conflict")
            for s in stages
            if s < len(history.stages)
        ]

    def majority(self) -> dict[str, dict[str, float]]:
        """Per task and group: accuracy of always answering the relation's majority object."""
        out: dict[str, dict[str, float]] = {}
        for k, task in enumerate(self.stream.tasks[:-1]):
            hits: dict[str, list[int]] = {}
            for ex in task.test:
                if ex.group in GROUPS:
                    h = hits.setdefault(self._group(k, ex.uid), [0, 0])
                    h[0] += ex.label == self.majority_label[ex.uid]
                    h[1] += 1
            out[task.name] = {g: c / n for g, (c, n) in hits.items()}
        return out

    def results(self, history: History) -> dict | None:
        recs = self._records(history)
        if not recs:
            return None
        majority = self.majority()
        by_task: dict = {}
        for name, groups in recs[0].items():
            by_task[name] = {
                g: {
                    "margin": [r[name][g]["margin"] for r in recs],
                    "accuracy_excl_new": [r[name][g]["accuracy_excl_new"] for r in recs],
                    "majority": majority[name].get(g),
                    "n": groups[g]["n"],
                }
                for g in groups
            }
        change = {}
        if len(recs) == 2:
            for g in GROUPS:
                drops = [d[g]["margin"][1] - d[g]["margin"][0] for d in by_task.values() if g in d]
                change[g] = sum(drops) / len(drops) if drops else None
        return {
            "conflict": {
                "last_task": self.kind,
                "stages": [self.T - 2, self.T - 1][: len(recs)],
                "by_task": by_task,
                "margin_change": change,
            }
        }

    def metric_inputs(self, history: History) -> dict:
        res = self.results(history)
        change = (res or {}).get("conflict", {}).get("margin_change") or {}
        if len(change) < 2:
            return {}
        return {"conflict_margin_change": change}


def margin(scores, position: dict[int, int], label: int, new: int | None) -> float:
    """Score of `label` minus the best score of the other candidates, `new` excluded."""
    own = float(scores[position[label]])
    others = [float(scores[i]) for c, i in position.items() if c != label and c != new]
    return own - max(others) if others else float("inf")
