"""A benchmark run to do (:class:`RunTask`) and the records it produces.

A record is a flat JSON object; its fields:

====================  ==============================================================================
method, family,       what ran: method name, problem family and name, seed, the options passed to
problem, seed,        the method and their hash (the run's identity, with ``key``); ``label`` tags a
options, options_hash configuration (the sensitivity study's ``eta1=10``)
n, m                  problem size (None when the problem never loaded)
tol, time_limit       the KKT tolerance and per-run time limit given to the method
status, success       the solver's :class:`~sketchsqp.Status` name, or KILLED / CRASHED / ERROR
fun, kkt_residual,    the result's values; ``kkt_check`` is the KKT residual recomputed here from the
kkt_check, ...        problem at the returned ``(x, y)``, independently of the solver
nit, nfev, ngev,      outer iterations and evaluation counts, inner (linear solver) iterations
ncev, njev, nhev,
inner_iterations
time, wall_time       solver time; wall time of the whole run including loading the problem
kkt_history,          the KKT residual at every outer iteration as the solver logged it, and at the
kkt_initial           starting point (recomputed here) for the convergence plots
peak_rss_mb,          peak resident memory (MiB) during the run (``peak_rss_scope`` "run"), or of the
peak_rss_scope,       worker's whole life where the peak cannot be reset ("process"); the worker's
rss_start_mb          resident memory when the run started; None when not measured
error                 the exception text when the run failed outside the solver
detail                the solver's own account of how it ended (external status and message)
warnings              distinct warnings raised during the solve (at most five)
version, machine,     library version, machine description, UTC time the record was written
timestamp
====================  ==============================================================================
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping

from .environment import library_version, machine_info, utc_timestamp
from .store import options_hash, run_key


@dataclasses.dataclass(frozen=True)
class RunTask:
    """One run: a method on a problem with a seed and options.

    ``extra_options`` are method options beyond ``tol`` and ``time_limit`` (sorted key/value pairs,
    so the task stays hashable); ``plugins`` are imported by the worker before the run.
    """

    method: str
    family: str
    problem: str
    seed: int
    tol: float
    time_limit: float
    extra_options: tuple[tuple[str, Any], ...] = ()
    label: str = ""
    data_dir: str | None = None
    plugins: tuple[str, ...] = ()

    @property
    def method_options(self) -> dict[str, Any]:
        """The options dict handed to the method."""
        options = dict(self.extra_options)
        options["tol"] = float(self.tol)
        if math.isfinite(self.time_limit):
            options["time_limit"] = float(self.time_limit)
        return options

    @property
    def options_hash(self) -> str:
        return options_hash(self.method_options)

    @property
    def key(self) -> str:
        return run_key(self.method, self.family, self.problem, self.seed, self.options_hash)

    def describe(self) -> str:
        label = f" [{self.label}]" if self.label else ""
        return f"{self.method} on {self.family}:{self.problem} seed {self.seed}{label}"


def make_extra_options(options: Mapping[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((options or {}).items()))


def base_record(task: RunTask) -> dict[str, Any]:
    """The fields every record has, before anything ran."""
    return {
        "key": task.key,
        "method": task.method,
        "family": task.family,
        "problem": task.problem,
        "seed": task.seed,
        "label": task.label,
        "options": task.method_options,
        "options_hash": task.options_hash,
        "tol": task.tol,
        "time_limit": task.time_limit if math.isfinite(task.time_limit) else None,
        "n": None,
        "m": None,
        "status": None,
        "success": False,
        "fun": None,
        "kkt_residual": None,
        "kkt_check": None,
        "optimality": None,
        "constr_violation": None,
        "nit": None,
        "nfev": None,
        "ngev": None,
        "ncev": None,
        "njev": None,
        "nhev": None,
        "inner_iterations": None,
        "time": None,
        "wall_time": None,
        "kkt_history": [],
        "kkt_initial": None,
        "peak_rss_mb": None,
        "rss_start_mb": None,
        "peak_rss_scope": None,
        "error": None,
        "detail": None,
        "warnings": [],
        "version": library_version(),
        "machine": machine_info(),
        "timestamp": None,
    }


def failure_record(task: RunTask, status: str, error: str, *, wall_time: float | None = None) -> dict[str, Any]:
    """A record for a run that produced no result (killed, crashed, raised)."""
    record = base_record(task)
    record.update(status=status, error=error, wall_time=wall_time, time=wall_time, timestamp=utc_timestamp())
    return record
