"""Child process of the benchmarks: run one workload, print its figures as one JSON line.

    echo '{"spec": {...}, "threads": 2}' | .venv/bin/python bench/workloads.py forgetlab

Workloads: `forgetlab` (forgetlab.run on the spec), `bare` (bare_loop.py: the same work in a
minimal PyTorch loop), `avalanche` (avalanche_loop.py: the same stream with Avalanche). Each
reports wall time, the train/eval split, real and padded tokens, the accuracy matrix and the
process's peak RSS (and peak CUDA memory on a GPU). Run by common.run_isolated, one fresh
process per workload, so that peak memory figures never mix.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import peak_rss_mb  # noqa: E402


def run_forgetlab(spec_dict: dict, **_) -> dict:
    t0 = time.perf_counter()
    import forgetlab
    import forgetlab.experiment  # noqa: F401  (imported lazily by forgetlab.run)
    from forgetlab.methods.base import embedding_parameters
    from forgetlab.models.zoo import skeleton
    from forgetlab.spec import spec_from_dict

    import_s = time.perf_counter() - t0
    t_start = time.perf_counter()
    spec = spec_from_dict(spec_dict)
    out = Path(tempfile.mkdtemp(prefix="forgetlab-bench-"))
    try:
        res = forgetlab.run(spec, out=out / "run", overwrite=True)
        run_s = time.perf_counter() - t_start
        ckpt = out / "run" / "checkpoints"
        ckpt_mb = sum(f.stat().st_size for f in ckpt.rglob("*") if f.is_file()) / 2**20
    finally:
        shutil.rmtree(out, ignore_errors=True)
    r = res.results
    train_s = sum(s.train_s for s in r.stages)
    eval_s = r.initial_eval_s + sum(s.eval_s for s in r.stages)
    figures = {
        "import_s": import_s,
        "run_s": run_s,
        "setup_s": run_s - train_s - eval_s,  # stream + model + files + checkpoint
        "train_s": train_s,
        "eval_s": eval_s,
        "steps": sum(s.steps for s in r.stages),
        "tokens": sum(s.tokens for s in r.stages),
        "padded_tokens": sum(s.padded_tokens for s in r.stages),
        "accuracy_matrix": r.accuracy_matrix,
        "initial_accuracy": r.initial_accuracy,
        "metrics": r.metrics,
        "strategy_s": {k: v["seconds"] for k, v in r.strategy_cost.items()},
        "checkpoint_mb": ckpt_mb,
        "params": r.model.total_params,
        "device": r.device,
    }
    backbone = skeleton(spec.model)  # weights on the meta device: counts only
    if backbone is not None:
        total = sum(p.numel() for p in backbone.parameters())
        figures["non_embedding_params"] = total - sum(
            p.numel() for p in embedding_parameters(backbone)
        )
    return figures


def run_bare(spec_dict: dict, **_) -> dict:
    t0 = time.perf_counter()
    from bare_loop import run_bare as bare

    return {"import_s": time.perf_counter() - t0, **bare(spec_dict)}


def run_avalanche(spec_dict: dict, **options) -> dict:
    t0 = time.perf_counter()
    from avalanche_loop import run_avalanche as aval

    return {"import_s": time.perf_counter() - t0, **aval(spec_dict, **options)}


WORKLOADS = {"forgetlab": run_forgetlab, "bare": run_bare, "avalanche": run_avalanche}


def main() -> None:
    import torch

    name = sys.argv[1]
    job = json.loads(sys.stdin.read())
    if job.get("threads"):
        torch.set_num_threads(int(job["threads"]))
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    figures = WORKLOADS[name](job["spec"], **job.get("options", {}))
    figures["peak_rss_mb"] = peak_rss_mb()
    figures["threads"] = torch.get_num_threads()
    if torch.cuda.is_available():
        figures["peak_cuda_mb"] = torch.cuda.max_memory_allocated() / 2**20
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
