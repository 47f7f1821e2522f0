"""Peak memory per stage: the process's resident-set high-water mark and, on CUDA, the
allocator's peak, both reset at the start of each stage so every stage reports its own peak.

    reset_peaks(); ...train a stage...; peaks()  # {"peak_rss_mb": 812.4, "peak_cuda_mb": None}

On Linux the RSS high-water mark is reset by writing 5 to /proc/self/clear_refs; where that
is not possible the figure is the peak since the process started (marked by `rss_reset`).
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

import torch

_STATUS = Path("/proc/self/status")
_CLEAR = Path("/proc/self/clear_refs")


def reset_peaks() -> bool:
    """Start a new measuring window; True if the RSS peak could be reset."""
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    try:
        _CLEAR.write_text("5")
        return True
    except OSError:
        return False


def _hwm_mb() -> float:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def peaks() -> dict[str, float | None]:
    """Peak RSS (MiB) and peak CUDA memory allocated (MiB, None without CUDA) in the window."""
    cuda = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None
    return {"peak_rss_mb": round(_hwm_mb(), 1), "peak_cuda_mb": cuda}
