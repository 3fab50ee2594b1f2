"""What a worker process does for one :class:`~sketchsqp.bench.tasks.RunTask`: load, solve, record."""

from __future__ import annotations

import sys
import time
import traceback
import warnings
from typing import Any

import numpy as np

from .environment import utc_timestamp
from .plugins import load_plugins
from .store import ERROR
from .suites import get_family
from .tasks import RunTask, base_record

#: Result fields copied into the record as they are.
_RESULT_FIELDS = ("status", "success", "fun", "kkt_residual", "optimality", "constr_violation", "nit", "nfev",
                  "ngev", "ncev", "njev", "nhev", "inner_iterations", "time", "kkt_history")


def execute_run(task: RunTask) -> dict[str, Any]:
    """Run one task and return its record; every failure becomes a record with status ERROR.

    Meant to run in a fresh worker process (the peak memory it reports is that process's), but
    works in the calling process too.
    """
    started = time.perf_counter()
    record = base_record(task)
    record["rss_start_mb"] = resident_mb()  # what the worker held before this run (imports, earlier runs)
    record["peak_rss_scope"] = "run" if reset_peak_rss() else "process"
    stage = "loading plugins"
    try:
        load_plugins(task.plugins)
        from ..api import solve_problem  # after the plugins, which may register methods

        stage = "loading the problem"
        problem = get_family(task.family).load_problem(task.problem, data_dir=task.data_dir)
        record.update(n=int(problem.n), m=int(problem.m))
        stage = "solving"
        with warnings.catch_warnings(record=True) as caught:
            # Kept in the record rather than printed: parallel workers would interleave them.
            warnings.simplefilter("default")
            result = solve_problem(problem, task.method, options=task.method_options, seed=task.seed)
        record["warnings"] = _summarise_warnings(caught)
        summary = result.to_record()
        record.update({field: summary[field] for field in _RESULT_FIELDS})
        record["kkt_check"] = _recomputed_kkt(problem, result)
        record["kkt_initial"] = _initial_kkt(problem)
        record["detail"] = _solver_detail(result.info)
        if result.exception is not None:
            record["error"] = f"{type(result.exception).__name__}: {result.exception}"
    except Exception as exc:  # the run failed outside the solver's own fault handling
        record.update(status=ERROR, success=False, error=f"{stage}: {_short_traceback(exc)}")
    record["wall_time"] = time.perf_counter() - started
    record["peak_rss_mb"] = peak_rss_mb()
    record["timestamp"] = utc_timestamp()
    return record


#: ``result.info`` entries that explain how a solver ended (the external references fill them).
_DETAIL_KEYS = ("external_status", "external_message", "detail")


def _solver_detail(info: dict[str, Any]) -> str | None:
    """The solver's own words on how it ended, when it gives any."""
    parts = [f"{key}: {info[key]}" for key in _DETAIL_KEYS if info.get(key) not in (None, "")]
    return "; ".join(parts)[:500] if parts else None


def _summarise_warnings(caught: list[warnings.WarningMessage], limit: int = 5) -> list[str]:
    """The distinct warnings of a run, at most ``limit`` of them, as ``Category: message``."""
    distinct = dict.fromkeys(f"{item.category.__name__}: {item.message}" for item in caught)
    return [text[:300] for text in list(distinct)[:limit]]


def _recomputed_kkt(problem, result) -> float | None:
    """``||(grad f + J^T y, c)||_2`` at the returned point, evaluated here rather than trusted."""
    x = np.asarray(result.x, dtype=float)
    y = np.asarray(result.y, dtype=float)
    if x.shape != (problem.n,) or y.shape != (problem.m,) or not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        return None
    try:
        value = problem.kkt_residual(x, y)
    except Exception:
        return None
    return value if np.isfinite(value) else None


def _initial_kkt(problem) -> float | None:
    """The KKT residual at the starting point ``(x0, y0)``: where every convergence curve begins."""
    try:
        value = problem.kkt_residual(problem.x0, problem.y0)
    except Exception:
        return None
    return value if np.isfinite(value) else None


def _short_traceback(exc: BaseException, limit: int = 4) -> str:
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-limit)
    return "".join(lines).strip()[-2000:]


def _proc_status_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024  # the kernel writes kB
    except OSError:
        pass
    return None


def resident_mb() -> float | None:
    """Resident memory of this process now, in MiB (None where /proc is missing)."""
    return _proc_status_mb("VmRSS")


def reset_peak_rss() -> bool:
    """Restart the peak-memory count of this process (Linux >= 4.0); False where that is not possible.

    A worker runs many tasks; resetting the high-water mark before each makes the peak it reports
    that of the run rather than of the worker's whole life.
    """
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def peak_rss_mb() -> float | None:
    """Peak resident memory of this process in MiB, since the last :func:`reset_peak_rss` where it worked."""
    peak = _proc_status_mb("VmHWM")
    if peak is not None:
        return peak
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return value / (1024 * 1024) if sys.platform == "darwin" else value / 1024  # macOS: bytes, Linux: KiB
