"""The library's own verdict on a point returned by an external reference solver.

IPOPT and SciPy stop on their own criteria (scaled, max-norm, on their own multipliers).  To make
"converged" mean the same thing for every method of the library, the references recompute
``||(grad f + J^T y, c)||_2`` from the problem at the returned ``(x, y)`` (``L = f + y^T c``) and
report :attr:`~sketchsqp.status.Status.CONVERGED` only when it is at most ``tol``.

Evaluations made here (the final check, the points shown to a user callback) are not charged to
the solver: the problem's counters are restored afterwards, so ``nfev``, ``njev``, ... count the
reference solver's own work only.
"""

from __future__ import annotations

import time
from typing import Any, Callable, NamedTuple

import numpy as np

from ...errors import EvaluationError, UserCallableError
from ...problem import Problem, least_squares_multipliers
from ...result import OptimizeResult
from ...status import Status


class KKTSummary(NamedTuple):
    """First-order quantities at ``(x, y)``; every entry is NaN when the problem cannot be evaluated."""

    fun: float
    kkt_residual: float  # ||(grad f + J^T y, c)||_2
    optimality: float  # ||grad f + J^T y||_inf
    constr_violation: float  # ||c||_inf


def kkt_summary(problem: Problem, x: np.ndarray, y: np.ndarray) -> KKTSummary:
    """Recompute f, the KKT residual, the optimality and the constraint violation at ``(x, y)``.

    The evaluations are counted by the problem as usual (callers that do not want them charged
    restore ``problem.counts``).  An evaluation fault gives NaN entries instead of an exception.
    """
    try:
        fun = problem.fun(x)
        grad_lagrangian = problem.lagrangian_gradient(problem.grad(x), problem.jac(x), y)
        c = problem.cons(x)
    except EvaluationError:
        nan = float("nan")
        return KKTSummary(nan, nan, nan, nan)
    kkt = float(np.hypot(np.linalg.norm(grad_lagrangian), np.linalg.norm(c)))
    optimality = float(np.max(np.abs(grad_lagrangian))) if grad_lagrangian.size else 0.0
    violation = float(np.max(np.abs(c))) if c.size else 0.0
    return KKTSummary(fun, kkt, optimality, violation)


def uncharged(problem: Problem, evaluate: Callable[[], Any]) -> Any:
    """Run ``evaluate()`` and restore the problem's counters: work of the wrapper, not of the solver."""
    saved = problem.counts.snapshot()
    try:
        return evaluate()
    finally:
        problem.counts = saved


def fitted_multipliers(problem: Problem, x: np.ndarray) -> np.ndarray:
    """Least-squares multipliers at ``x`` from the problem (uncharged); the starting ones if it cannot be evaluated."""
    def fit() -> np.ndarray:
        return least_squares_multipliers(problem.grad(x), problem.jac(x))

    try:
        return uncharged(problem, fit)
    except EvaluationError:
        return problem.y0.copy()


# Ends of a run that say nothing about optimality: the status stands whatever the residual.
_STATUS_KEPT = (Status.INTERRUPTED, Status.CALLBACK_STOP, Status.CALLABLE_ERROR, Status.NON_FINITE)


def judged_status(claimed: Status, kkt_residual: float, tol: float, solver: str) -> tuple[Status, str]:
    """The library's status for a reference run and, when it overrules the solver, why.

    ``claimed`` is the solver's own ending mapped onto :class:`Status` (CONVERGED when it reported
    success).  A recomputed residual at most ``tol`` is CONVERGED unless the run ended by a fault or
    a stop request; a claimed success whose residual exceeds ``tol`` becomes EXTERNAL_FAILURE.
    """
    if claimed in _STATUS_KEPT:
        return claimed, ""
    if np.isfinite(kkt_residual) and kkt_residual <= tol:
        return Status.CONVERGED, ""
    if claimed is Status.CONVERGED:
        return Status.EXTERNAL_FAILURE, (
            f"{solver} reported success, but the recomputed KKT residual {kkt_residual:.3e} exceeds tol {tol:.3e}"
        )
    return claimed, ""


def verified_result(problem: Problem, *, x: np.ndarray, y: np.ndarray, claimed: Status, tol: float, counts,
                    nit: int, elapsed: float, method: str, info: dict[str, Any],
                    exception: BaseException | None = None) -> OptimizeResult:
    """Assemble the :class:`OptimizeResult` of a reference run, with the KKT quantities recomputed at ``(x, y)``.

    ``counts`` are the solver's evaluation counts (taken before this recomputation, which is uncharged).
    """
    summary = uncharged(problem, lambda: kkt_summary(problem, x, y))
    status, detail = judged_status(claimed, summary.kkt_residual, tol, method)
    info = dict(info)
    if detail:
        info["detail"] = f"{info['detail']}; {detail}" if info.get("detail") else detail
    return OptimizeResult(
        x=np.asarray(x, dtype=float).copy(), y=np.asarray(y, dtype=float).copy(), fun=summary.fun,
        kkt_residual=summary.kkt_residual, optimality=summary.optimality,
        constr_violation=summary.constr_violation, status=status, nit=int(nit),
        nfev=counts.nfev, ngev=counts.ngev, ncev=counts.ncev, njev=counts.njev, nhev=counts.nhev,
        time=float(elapsed), method=method, problem_name=problem.name, exception=exception, info=info,
    )


class StopRequested(Exception):
    """Raised from inside a reference solver's iteration hook to end the run with ``status``."""

    def __init__(self, status: Status) -> None:
        super().__init__(status.message)
        self.status = status


def check_user_callback(callback: Callable[[OptimizeResult], Any] | None, problem: Problem, *, x: np.ndarray,
                        y: np.ndarray, nit: int, start: float, method: str) -> None:
    """Show the current iterate to the user callback; raise :class:`StopRequested` if it asks to stop.

    Same contract as the library's own solvers: returning True or raising StopIteration stops the
    run (CALLBACK_STOP); any other exception is a :class:`~sketchsqp.errors.UserCallableError`.
    """
    if callback is None:
        return
    summary = uncharged(problem, lambda: kkt_summary(problem, x, y))
    intermediate = OptimizeResult(
        x=x.copy(), y=y.copy(), fun=summary.fun, kkt_residual=summary.kkt_residual, optimality=summary.optimality,
        constr_violation=summary.constr_violation, status=Status.IN_PROGRESS, nit=nit,
        time=time.perf_counter() - start, method=method, problem_name=problem.name,
    )
    try:
        answer = callback(intermediate)
    except StopIteration:
        raise StopRequested(Status.CALLBACK_STOP) from None
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        raise UserCallableError("callback", exc) from exc
    if answer is True:
        raise StopRequested(Status.CALLBACK_STOP)


__all__ = ["KKTSummary", "StopRequested", "check_user_callback", "fitted_multipliers", "judged_status",
           "kkt_summary", "least_squares_multipliers", "uncharged", "verified_result"]
