"""Pretraining: causal LMs from scratch on a corpus, with checkpoints along the way.

    from forgetlab.pretrain import load_pretrain_spec, pretrain
    result = pretrain(load_pretrain_spec("experiments/scale/rung.toml"), out="ladder/gpt2-1m")
    result.checkpoints[-1].path     # a Hugging Face model directory (+ pretrain.json)

Modules: `spec` (PretrainSpec), `corpus` (wordnet | files | hf), `tokenizer`, `families`
(gpt2 | llama | moe | lstm), `sizing` (target parameter count -> shape), `plan` (steps and
checkpoints), `data` (token blocks, seeded order), `loop` (optimizer, schedule, step,
held-out loss), `state` (checkpoints and resume state), `ladder` (pick a checkpoint by tokens
seen), `run` (the session). `import forgetlab.pretrain` does not import torch.
"""

from __future__ import annotations

import sys
import types

from forgetlab.pretrain.ladder import checkpoints, pretraining_info, resolve_model, select
from forgetlab.pretrain.plan import PretrainPlan, plan_pretrain
from forgetlab.pretrain.spec import (
    PretrainSpec,
    dump_pretrain_spec,
    load_pretrain_spec,
    pretrain_spec_from_dict,
)


def pretrain(spec, out=None, overwrite: bool = False, progress: bool = False, log=None):
    """Pretrain `spec` into `out`; see `forgetlab.pretrain.run.pretrain`."""
    from forgetlab.pretrain.run import pretrain as _pretrain

    return _pretrain(spec, out=out, overwrite=overwrite, progress=progress, log=log)


def resume_pretrain(run_dir, progress: bool = False, log=None):
    """Go on with a killed pretraining run; see `forgetlab.pretrain.run.resume_pretrain`."""
    from forgetlab.pretrain.run import resume_pretrain as _resume

    return _resume(run_dir, progress=progress, log=log)


__all__ = [
    "PretrainPlan",
    "PretrainSpec",
    "checkpoints",
    "dump_pretrain_spec",
    "load_pretrain_spec",
    "plan_pretrain",
    "pretrain",
    "pretrain_spec_from_dict",
    "pretraining_info",
    "resolve_model",
    "resume_pretrain",
    "select",
]


class _CallableModule(types.ModuleType):
    """`forgetlab.pretrain(spec, out=...)`: the package called is `pretrain`."""

    def __call__(self, spec, out=None, overwrite: bool = False, progress: bool = False, log=None):
        return pretrain(spec, out=out, overwrite=overwrite, progress=progress, log=log)


sys.modules[__name__].__class__ = _CallableModule
