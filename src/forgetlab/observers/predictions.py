"""`predictions`: each test example's predicted class and the confusion matrix over the seen
classes, saved in the run directory after the last stage (`eval.save_predictions = "last"`)
or after every stage (`"every_stage"`):

    predictions/stage-XXX.csv   uid, task, label, predicted (one row per test example of
                                every task, seen or not)
    confusion.json              {"stages": [{"stage", "task", "tasks", "classes", "matrix"}]}:
                                per saved stage the class x class counts (row = true class,
                                column = predicted) over the test examples of the tasks seen
                                so far; classes are every seen class in stream order

The predictions come from the evaluation's own forward (`on_predicted`); nothing is
recomputed. Generative streams have no classes and no predictions. A resumed run rewrites
confusion.json from the saved stages, so its files equal an uninterrupted run's.
"""

from __future__ import annotations

import json

from forgetlab.observers.base import Observer, ObserverEnv, StageView, register


@register("predictions", help="per-example test predictions and confusion matrices")
class Predictions(Observer):
    def __init__(self, env: ObserverEnv, every_stage: bool) -> None:
        self.stream = env.stream
        self.run_dir = env.run_dir
        self.every_stage = every_stage
        self.last_stage = len(env.stream.tasks) - 1
        self.keep = False  # collect the evaluation's predictions of this stage
        self.rows: list[tuple[int, int, int, int]] = []  # (uid, task, label, predicted)
        self.confusion_: list[dict] = []  # one entry per saved stage

    @classmethod
    def build(cls, spec, env: ObserverEnv) -> Predictions | None:
        if env.stream.generative:
            return None
        return cls(env, spec.eval.save_predictions == "every_stage")

    def before_stage(self, view: StageView) -> None:
        self.keep = self.every_stage or view.stage == self.last_stage
        self.rows = []

    def on_predicted(self, task: int, batch, predicted) -> None:
        if self.keep:
            self.rows += zip(
                batch.uids.tolist(),
                [task] * len(predicted),
                batch.labels.tolist(),
                predicted.tolist(),
            )

    def entry(self, stage: int) -> dict:
        """The confusion over the seen tasks' test examples after `stage`."""
        from forgetlab.eval.confusion import confusion_matrix, seen_classes

        seen = [r for r in self.rows if r[1] <= stage]
        classes = seen_classes(
            [self.stream.tasks[j].classes for j in range(stage + 1)], (r[3] for r in seen)
        )
        names = self.stream.class_names
        return {
            "stage": stage,
            "task": self.stream.task_names[stage],
            "tasks": list(self.stream.task_names[: stage + 1]),
            "classes": [names[c] for c in classes],
            "class_tasks": [self._task_of(c) for c in classes],
            "matrix": confusion_matrix(((r[2], r[3]) for r in seen), classes),
        }

    def _task_of(self, c: int) -> int | None:
        """The first task (stream order) whose classes hold class c."""
        return next((j for j, t in enumerate(self.stream.tasks) if c in t.classes), None)

    def after_stage(self, view: StageView) -> None:
        if not self.keep:
            return None
        from forgetlab.eval.confusion import predictions_csv
        from forgetlab.fileio import atomic_write

        self.rows.sort(key=lambda r: (r[1], r[0]))  # task, then uid: independent of batching
        self.confusion_.append(self.entry(view.stage))
        if self.run_dir is not None:
            names = self.stream.task_names, self.stream.class_names
            path = self.run_dir / "predictions" / f"stage-{view.stage:03d}.csv"
            atomic_write(path, predictions_csv(self.rows, *names))
            text = json.dumps({"stages": self.confusion_}, indent=1)
            atomic_write(self.run_dir / "confusion.json", text + "\n")
        self.rows, self.keep = [], False
        return None

    def state_dict(self) -> dict:
        return {"confusion": self.confusion_}

    def load_state_dict(self, state: dict) -> None:
        self.confusion_ = list(state.get("confusion", []))
