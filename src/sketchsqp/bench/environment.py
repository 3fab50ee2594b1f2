"""What a benchmark record says about where it ran: library version and machine."""

from __future__ import annotations

import datetime
import functools
import importlib.metadata
import os
import platform
from typing import Any


@functools.lru_cache(maxsize=1)
def library_version() -> str:
    """The installed version of sketchsqp ("unknown" when run from an uninstalled tree)."""
    try:
        return importlib.metadata.version("sketchsqp")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def usable_cpu_count() -> int:
    """CPUs this process may run on (the affinity mask where the platform has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


@functools.lru_cache(maxsize=1)
def machine_info() -> dict[str, Any]:
    """Platform, CPU and the versions of the numerical stack, for comparing records across machines."""
    import numpy
    import scipy

    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable_cpu_count(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
    }


def utc_timestamp() -> str:
    """Now, in ISO 8601 with the UTC offset."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
