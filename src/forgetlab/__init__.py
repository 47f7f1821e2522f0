"""forgetlab: fine-tune language models on sequences of tasks; measure what they forget.

import forgetlab
spec = forgetlab.load_spec("experiments/wordnet/seq.toml", overrides=["train.lr=3e-5"])
result = forgetlab.run(spec, out="runs/seq")
result.accuracy_matrix, result.metrics
"""

from __future__ import annotations

__version__ = "0.1.0"

from forgetlab.errors import ForgetlabError  # noqa: E402
from forgetlab.spec import ExperimentSpec, dump_spec, load_spec  # noqa: E402


def run(spec, out=None, overwrite: bool = False, progress: bool = False):
    """Run an experiment; see `forgetlab.experiment.run`."""
    from forgetlab.experiment import run as _run

    return _run(spec, out=out, overwrite=overwrite, progress=progress)


__all__ = ["ExperimentSpec", "ForgetlabError", "dump_spec", "load_spec", "run", "__version__"]
