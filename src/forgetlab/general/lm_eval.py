"""lm-evaluation-harness tasks on a forgetlab model (an optional extra: `forgetlab[lmeval]`).

    run_lm_eval(backbone, tokenizer, ["hellaswag", "arc_easy"], limit=200)
    # {"hellaswag": {"acc": 0.41, "acc_stderr": 0.02, "acc_norm": ...}, ...}

The model is wrapped as lm-eval's own Hugging Face LM (`HFLM` on the backbone and tokenizer,
no copy) and the tasks run through `lm_eval.simple_evaluate`: forgetlab does not
re-implement any task. Tasks come from lm-eval's registry, or from YAML task configs in
`include_path` (a folder; e.g. a task on local JSONL files, as the offline tests do). lm-eval
sets no global random seed here (its seed arguments are None) except the few-shot sampler's,
derived from the run's seed. Hub tasks (hellaswag, arc_easy) download their datasets: they need
network access or a filled Hugging Face cache.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from forgetlab.errors import ForgetlabError, SpecError

INSTALL = "pip install 'forgetlab[lmeval]' (lm-eval 0.4)"


def lm_eval_available() -> bool:
    return importlib.util.find_spec("lm_eval") is not None


def require_lm_eval(field: str = "general.lm_eval_tasks") -> None:
    if not lm_eval_available():
        raise SpecError(f"{field}: lm-evaluation-harness is not installed; {INSTALL}")


def _numbers(task_results: dict) -> dict[str, float]:
    """lm-eval's "acc,none" / "acc_stderr,none" entries as {"acc": .., "acc_stderr": ..}."""
    out = {}
    for key, value in task_results.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or key == "sample_len":
            continue
        name, _, flt = key.partition(",")
        out[name if flt in ("", "none") else f"{name}[{flt}]"] = float(value)
    return out


def run_lm_eval(
    backbone,
    tokenizer,
    tasks: list[str],
    *,
    limit: int | None = None,
    num_fewshot: int | None = None,
    batch_size: int = 8,
    include_path: str | Path | None = None,
    max_length: int | None = None,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """{task: {metric: value}} from lm-eval's own evaluation of these tasks."""
    require_lm_eval()
    import logging

    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    logging.getLogger("lm_eval").setLevel(logging.ERROR)  # its warnings about a model object
    if include_path is not None and not Path(include_path).is_dir():
        raise SpecError(f"general.lm_eval_include_path: {str(include_path)!r} is not a folder")
    manager = TaskManager(include_path=str(include_path) if include_path else None)
    unknown = [t for t in tasks if not manager.match_tasks([t])]
    if unknown:
        raise SpecError(f"general.lm_eval_tasks: lm-eval knows no task {unknown[0]!r}")
    was_training = backbone.training
    lm = HFLM(
        pretrained=backbone, tokenizer=tokenizer, batch_size=batch_size, max_length=max_length
    )
    # lm-eval bootstraps the stderr of non-mean metrics in a multiprocessing pool (fork) unless
    # DISABLE_MULTIPROC is set: never fork a process holding a model; restored afterwards.
    saved = os.environ.get("DISABLE_MULTIPROC")
    os.environ["DISABLE_MULTIPROC"] = "1"
    try:
        out = simple_evaluate(
            model=lm,
            tasks=list(tasks),
            num_fewshot=num_fewshot,
            limit=limit,
            task_manager=manager,
            log_samples=False,
            bootstrap_iters=200,  # stderr: closed form for means, else a 200-draw bootstrap
            random_seed=None,
            numpy_random_seed=None,
            torch_random_seed=None,
            fewshot_random_seed=seed,
            verbosity="WARNING",
        )
    except Exception as e:  # noqa: BLE001  lm-eval raises many kinds (datasets, network)
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ForgetlabError(f"lm-eval tasks {tasks} failed: {type(e).__name__}: {first}") from None
    finally:
        backbone.train(was_training)
        if saved is None:
            os.environ.pop("DISABLE_MULTIPROC", None)
        else:
            os.environ["DISABLE_MULTIPROC"] = saved
    results = (out or {}).get("results", {})
    return {t: _numbers(results.get(t, {})) for t in tasks}
