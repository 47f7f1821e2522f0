"""`knowledge`: on a knowledge-update stream (`facts-updates`), before training and after every
stage, log-probability margins of the revised facts (the new version must win, the old must
not), the unrevised facts of the same domains, and the facts of other domains, with the
majority-object baseline (`forgetlab.streams.facts.knowledge`).

On whenever the stream carries a plan (`stream.info["knowledge"]`). The scores are the ones a
prediction takes its argmax from (`Learner.final_scores`: a causal LM's log-likelihood of each
object, after any strategy's readout), on each fact's test prompt as the run tokenizes it (with
any retrieved context), over the objects of its domain task. Record: `stages[i].knowledge`
(and `knowledge` before training in results.json's `knowledge_updates.initial`).
"""

from __future__ import annotations

from forgetlab.observers.base import History, Observer, ObserverEnv, StageView, register

BATCH = 32


@register("knowledge", help="knowledge updates: margins of revised, unrevised, other facts")
class KnowledgeUpdates(Observer):
    def __init__(self, plan: list[dict]) -> None:
        self.plan = plan

    @classmethod
    def build(cls, spec, env: ObserverEnv) -> KnowledgeUpdates | None:
        plan = env.stream.info.get("knowledge")
        return cls(plan) if plan else None

    def _logp(self, view: StageView, uids: set[int]) -> dict[int, dict[str, float]]:
        import torch

        stream, learner = view.stream, view.learner
        out: dict[int, dict[str, float]] = {}
        was_training = learner.training
        learner.eval()
        try:
            for j, task in enumerate(stream.tasks):
                examples = [ex for ex in task.test if ex.uid in uids]
                candidates = stream.candidates(view.stage, j)
                names = [stream.class_names[c] for c in candidates]
                for s in range(0, len(examples), BATCH):
                    items = view.encode(examples[s : s + BATCH])
                    batch = learner.collate(items).to(view.device)
                    with torch.inference_mode():
                        scores = learner.final_scores(batch, candidates).float().cpu()
                    for uid, row in zip(batch.uids.tolist(), scores.tolist()):
                        out[uid] = dict(zip(names, row))
        finally:
            learner.train(was_training)
        return out

    def _score(self, view: StageView) -> dict:
        from forgetlab.streams.facts.knowledge import current_versions, score_groups

        trained = None if view.stage < 0 else set(view.stream.task_names[: view.stage + 1])
        uids = set(current_versions(self.plan, trained))
        return {"knowledge": score_groups(self.plan, trained, self._logp(view, uids))}

    def before_stream(self, view: StageView) -> dict:
        return self._score(view)

    def after_stage(self, view: StageView) -> dict:
        return self._score(view)

    def results(self, history: History) -> dict:
        return {
            "knowledge_updates": {
                "initial": history.merged(-1).get("knowledge"),
                "final": history.merged(len(history.stages) - 1).get("knowledge")
                if history.stages
                else None,
            }
        }
