"""Optional experiment tracking: TensorBoard and MLflow through their own libraries.

from forgetlab.tracking import LogSpec, RunLogger
with RunLogger(spec, run_dir, tasks) as logger:
    logger.log_stage(stage, record, metrics)
"""

from __future__ import annotations

from forgetlab.tracking.logger import RunLogger, check_backends
from forgetlab.tracking.spec import LogSpec

__all__ = ["LogSpec", "RunLogger", "check_backends"]
