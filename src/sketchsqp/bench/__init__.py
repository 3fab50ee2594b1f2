"""Benchmarks: run methods x problems x seeds, store one JSON line per run, report tables and plots.

Entry points: :func:`plan_suite` and :func:`run_tasks` (runner), :class:`ResultStore` (store),
:func:`write_report` (tables, profiles and plots), and the ``sketchsqp bench`` command.
"""

from .executors import IsolatedProcessExecutor, RunKilled, WorkerCrashed
from .runner import BenchmarkPlan, RunSummary, plan_suite, run_tasks
from .store import ResultStore
from .suites import ProblemFamily, ProblemRef, Suite, get_suite, register_family
from .tasks import RunTask

__all__ = [
    "BenchmarkPlan",
    "IsolatedProcessExecutor",
    "ProblemFamily",
    "ProblemRef",
    "ResultStore",
    "RunKilled",
    "RunSummary",
    "RunTask",
    "Suite",
    "WorkerCrashed",
    "get_suite",
    "plan_suite",
    "register_family",
    "run_tasks",
]
