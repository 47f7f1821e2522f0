"""`general`: general ability outside the stream, before training and after every stage.

    [general]
    text = "auto"                 # held-out text: a ladder's pretraining held-out part, else
                                  # WordNet test-pool glosses (`forgetlab.general.texts`)
    unseen_tasks = 2              # held-out WordNet category tasks never trained
    lm_eval_tasks = ["hellaswag", "arc_easy"]   # optional: lm-evaluation-harness tasks
    lm_eval_stages = "last"       # before training and after the last stage only

Each record (`stages[i].general`, and before training) holds the held-out perplexity (all
texts, and per text domain), the accuracy on each unseen task and their mean, and the lm-eval
figures where they ran. results.json gains `general`: the series (one value before training,
then after each stage), the text source and unseen tasks, and the metrics
`general_ppl_increase` and `unseen_task_drop` (registered metrics: `forgetlab ls metrics`).
Causal LMs only (perplexity needs a language model).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt, field_validator

from forgetlab.errors import SpecError
from forgetlab.observers.base import History, Observer, ObserverEnv, StageView, register
from forgetlab.spec.base import SpecModel


class GeneralSpec(SpecModel):
    text: Literal["auto", "wordnet", "pretrain"] = Field(
        "auto",
        description="held-out general text: pretrain (a forgetlab ladder's pretraining "
        "held-out part), wordnet (test-pool glosses), auto (pretrain when the model has a "
        "pretrain.json, else wordnet)",
    )
    max_texts: PositiveInt = Field(200, description="texts scored for perplexity")
    max_length: PositiveInt = Field(128, description="tokens per text (and unseen-task item)")
    batch_size: PositiveInt = Field(16, description="texts per forward")
    unseen_tasks: NonNegativeInt = Field(
        2, description="held-out WordNet category tasks never trained (0: none)"
    )
    unseen_classes_per_task: int = Field(3, ge=2, description="categories per unseen task")
    unseen_per_class: PositiveInt = Field(30, description="test glosses per category")
    unseen_categories: list[list[str]] | None = Field(
        None,
        description="explicit categories of each unseen task (default: picked by seed among "
        "those outside the stream)",
    )
    lm_eval_tasks: list[str] = Field(
        default_factory=list, description="lm-evaluation-harness tasks (optional extra lmeval)"
    )
    lm_eval_stages: Literal["all", "last"] | list[int] = Field(
        "all",
        description="when lm-eval runs: all (before training and after every stage), last "
        "(before training and after the last stage), or stage indices (-1: before training)",
    )
    lm_eval_limit: PositiveInt | None = Field(None, description="examples per lm-eval task")
    lm_eval_num_fewshot: NonNegativeInt | None = None
    lm_eval_batch_size: PositiveInt = 8
    lm_eval_include_path: str | None = Field(
        None, description="a folder of lm-eval task YAMLs (custom tasks, e.g. on local files)"
    )
    seed: int = Field(0, description="picks the texts, unseen categories and their glosses")

    @field_validator("unseen_categories")
    @classmethod
    def _known(cls, v: list[list[str]] | None) -> list[list[str]] | None:
        from forgetlab.data.wordnet import LEXNAMES
        from forgetlab.registry import did_you_mean

        for group in v or []:
            if len(group) < 2:
                raise ValueError(f"an unseen task needs at least 2 categories, not {group}")
            for name in group:
                if name not in LEXNAMES:
                    raise ValueError(
                        f"unknown WordNet category {name!r};{did_you_mean(name, list(LEXNAMES))}"
                    )
        return v


def stream_categories(stream) -> set[str]:
    """The WordNet categories a stream trains on (its classes, or an instruction stream's)."""
    return set(stream.class_names) | set(stream.info.get("categories", ()))


def main_lm_eval_metric(values: dict[str, float]) -> str | None:
    """The figure a series shows for an lm-eval task: acc_norm, acc, else the first one."""
    for name in ("acc_norm", "acc", "exact_match", "f1"):
        if name in values:
            return name
    return next((k for k in values if not k.endswith("_stderr") and k != "sample_len"), None)


@register("general", help="general ability: held-out perplexity, unseen tasks, lm-eval ([general])")
class General(Observer):
    section = "general"
    Spec = GeneralSpec

    def __init__(self, spec: GeneralSpec, env: ObserverEnv, model_name: str, n_stages: int):
        from forgetlab.general.texts import general_texts
        from forgetlab.general.unseen import wordnet_choice_tasks

        self.spec, self.env, self.n_stages = spec, env, n_stages
        self.texts = general_texts(spec.text, model_name, spec.max_texts, spec.seed)
        n_unseen = len(spec.unseen_categories) if spec.unseen_categories else spec.unseen_tasks
        self.unseen = (
            wordnet_choice_tasks(
                stream_categories(env.stream),
                n_unseen,
                spec.unseen_classes_per_task,
                spec.unseen_per_class,
                spec.seed,
                spec.unseen_categories,
            )
            if n_unseen
            else []
        )

    @classmethod
    def build(cls, spec, env: ObserverEnv) -> General | None:
        if spec.general is None:
            return None
        return cls(spec.general, env, spec.model.name, len(env.stream.tasks))

    @classmethod
    def check(cls, spec, mode: str) -> None:
        if spec.general is None:
            return
        if mode == "classifier":
            raise SpecError("general: needs a causal LM (perplexity and log-likelihood tasks)")
        if spec.general.lm_eval_tasks:
            from forgetlab.general.lm_eval import require_lm_eval

            require_lm_eval()

    def _lm_eval_due(self, stage: int) -> bool:
        when = self.spec.lm_eval_stages
        if not self.spec.lm_eval_tasks:
            return False
        if when == "all":
            return True
        if when == "last":
            return stage in (-1, self.n_stages - 1)
        return stage in when

    def _measure(self, view: StageView) -> dict:
        from forgetlab.general.perplexity import perplexity, text_losses
        from forgetlab.general.unseen import choice_correct

        s, learner = self.spec, view.learner
        nll, tokens = text_losses(
            learner.backbone, learner.tokenizer, self.texts.texts,
            batch_size=s.batch_size, max_length=s.max_length, device=view.device,
        )  # fmt: skip
        by_domain = {}
        for d in dict.fromkeys(self.texts.domains):
            keep = [i for i, x in enumerate(self.texts.domains) if x == d]
            by_domain[d] = perplexity(nll[keep], tokens[keep])
        unseen = {}
        for task in self.unseen:
            correct, _ = choice_correct(
                learner.backbone, learner.tokenizer, task,
                batch_size=s.batch_size, max_length=s.max_length, device=view.device,
            )  # fmt: skip
            unseen[task.name] = float(correct.mean())
        rec: dict = {
            "perplexity": perplexity(nll, tokens),
            "perplexity_by_domain": by_domain,
            "unseen_accuracy": sum(unseen.values()) / len(unseen) if unseen else None,
            "unseen_task_accuracy": unseen,
        }
        if self._lm_eval_due(view.stage):
            from forgetlab.general.lm_eval import run_lm_eval

            rec["lm_eval"] = run_lm_eval(
                learner.backbone,
                learner.tokenizer,
                s.lm_eval_tasks,
                limit=s.lm_eval_limit,
                num_fewshot=s.lm_eval_num_fewshot,
                batch_size=s.lm_eval_batch_size,
                include_path=s.lm_eval_include_path,
                seed=view.seed,
            )
        return {"general": rec}

    def before_stream(self, view: StageView) -> dict:
        return self._measure(view)

    def after_stage(self, view: StageView) -> dict:
        return self._measure(view)

    # -- results ----------------------------------------------------------------------------
    def _points(self, history: History) -> list[dict]:
        """The records before training and after each finished stage, in order."""
        recs = [history.merged(-1).get("general")]
        recs += [history.merged(i).get("general") for i in range(len(history.stages))]
        return [r or {} for r in recs]

    def metric_inputs(self, history: History) -> dict:
        """The series the general-ability metrics read (`forgetlab.metrics.general`)."""
        points = self._points(history)
        return {
            "general_ppl": [p.get("perplexity") for p in points],
            "unseen_accuracy": [p.get("unseen_accuracy") for p in points] if self.unseen else None,
        }

    def series(self, history: History) -> dict[str, list]:
        points = self._points(history)
        out: dict[str, list] = {"perplexity": [p.get("perplexity") for p in points]}
        if self.unseen:
            out["unseen accuracy"] = [p.get("unseen_accuracy") for p in points]
        for task in self.spec.lm_eval_tasks:
            found = [((p.get("lm_eval") or {}).get(task) or {}) for p in points]
            name = next((main_lm_eval_metric(f) for f in found if f), None)
            if name is not None:
                out[f"{task} {name}"] = [f.get(name) for f in found]
        return out

    def results(self, history: History) -> dict:
        from forgetlab.metrics import metrics

        inputs = self.metric_inputs(history)
        complete = len(history.stages) == self.n_stages
        figures = {}
        for name in ("general_ppl_increase", "unseen_task_drop"):
            m = metrics.get(name)
            figures[name] = m(inputs=inputs) if complete and m.available(inputs) else None
        return {
            "general": {
                "text_source": self.texts.source,
                "texts": len(self.texts.texts),
                "domains": sorted(set(self.texts.domains)),
                "unseen_tasks": [t.name for t in self.unseen],
                "lm_eval_tasks": list(self.spec.lm_eval_tasks),
                "stages": list(range(-1, len(history.stages))),
                "series": self.series(history),
                **figures,
            }
        }

    def score_rows(self, history: History) -> list[tuple]:
        rows: list[tuple] = []
        for stage, rec in zip(range(-1, len(history.stages)), self._points(history)):
            if not rec:
                continue
            rows.append((stage, "", "general_ppl", rec["perplexity"]))
            rows += [(stage, d, "general_ppl", v) for d, v in rec["perplexity_by_domain"].items()]
            rows += [
                (stage, t, "unseen_accuracy", v) for t, v in rec["unseen_task_accuracy"].items()
            ]
            for task, values in (rec.get("lm_eval") or {}).items():
                rows += [(stage, task, f"lm_eval_{k}", v) for k, v in values.items()]
        return rows
