"""SciPy's ``trust-constr`` and ``SLSQP`` as reference solvers behind the library's result type.

* ``trust-constr`` (Byrd-Omojokun SQP) gets the constraints as ``NonlinearConstraint(c, 0, 0)``
  with the problem's Jacobian (dense or sparse) and the exact Lagrangian Hessian.  SciPy only ever
  uses the sum ``hess f + sum v_i hess c_i`` of the objective's and the constraint's Hessians, so
  the objective's is passed as zero and the constraint's ``hess(x, v)`` returns the whole
  ``problem.hess(x, v)``: exact, and one Hessian evaluation per iteration instead of two.  A
  Hessian that is a LinearOperator is passed as one (trust-constr runs projected CG on it).
  Its multipliers ``res.v`` follow ``L = f + v^T c``, the library's convention.
* ``SLSQP`` (Kraft's sequential least squares, BFGS Hessian) gets ``{"type": "eq"}`` constraints
  with a dense Jacobian.  Its multipliers are not used: ``y`` is the least-squares fit
  ``argmin ||grad f + J^T y||`` at the returned ``x``.

Both are dense-matrix methods at heart: a LinearOperator Jacobian is materialised (up to
:data:`MAX_DENSE_ENTRIES` entries).

Tolerances.  ``tol`` is the target for the library's KKT residual ``||(grad f + J^T y, c)||_2``.
trust-constr stops when ``||grad L||_inf`` and ``||c||_inf`` fall below ``gtol``, set to
``tol / sqrt(n + m)`` so that this implies the 2-norm target.  SLSQP stops when the change of f
and the constraint violation fall below ``ftol``; near a solution the change of f is of the order
of the squared residual, so ``ftol = tol**2`` (floored at 1e-15).  The verdict is the library's own:
the residual is recomputed at the returned ``(x, y)`` and only a value ``<= tol`` is CONVERGED (see
:mod:`.kkt`).
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any, Callable

import numpy as np
import scipy.sparse as sp
from scipy.optimize import NonlinearConstraint, minimize
from scipy.sparse.linalg import LinearOperator

from ...errors import OptionsError, ProblemDefinitionError
from ...problem import Problem, operators
from ...result import OptimizeResult
from ...status import Status
from ..driver import RUN_ENDING_EXCEPTIONS, status_of_exception
from ..options import DriverOptions, _check
from .kkt import StopRequested, check_user_callback, fitted_multipliers, verified_result

METHODS = {"trust-constr": "trust-constr", "slsqp": "SLSQP"}  # accepted spelling (lower case) -> SciPy's name
MAX_DENSE_ENTRIES = 20_000_000  # a LinearOperator Jacobian larger than this is not materialised
TRUST_CONSTR_XTOL = 1e-12  # trust radius below which trust-constr gives up (SciPy's default 1e-8 can stop early)
SLSQP_FTOL_FLOOR = 1e-15

# SciPy's exit codes -> what they mean for the library (a claimed success is checked before it is reported).
TRUST_CONSTR_STATUSES: dict[int, Status] = {
    0: Status.MAX_ITER,
    1: Status.CONVERGED,  # gtol satisfied
    2: Status.EXTERNAL_FAILURE,  # xtol: the trust region collapsed
    3: Status.CALLBACK_STOP,
    4: Status.EXTERNAL_FAILURE,  # converged in x but the constraint violation exceeds gtol
}
SLSQP_STATUSES: dict[int, Status] = {
    0: Status.CONVERGED,
    2: Status.EXTERNAL_FAILURE,  # more equality constraints than variables
    3: Status.EXTERNAL_FAILURE,  # more than 3n iterations in the LSQ subproblem
    4: Status.INFEASIBLE,  # constraints incompatible (linearisation)
    5: Status.NUMERICAL_ERROR,  # singular matrix E in the LSQ subproblem
    6: Status.NUMERICAL_ERROR,  # singular matrix C in the LSQ subproblem
    7: Status.RANK_DEFICIENT,  # rank-deficient equality constraint subproblem
    8: Status.EXTERNAL_FAILURE,  # positive directional derivative in the line search
    9: Status.MAX_ITER,
}


@dataclasses.dataclass(frozen=True)
class ScipyReferenceOptions(DriverOptions):
    """Options of the SciPy references.

    tol : target for the recomputed KKT residual (sets ``gtol`` of trust-constr, ``ftol`` of SLSQP).
    max_iter : SciPy's ``maxiter``.
    time_limit : seconds of wall time, checked after every iteration.
    verbose : SciPy's own output (``verbose=2`` for trust-constr, ``disp`` for SLSQP).
    scipy_options : raw ``options`` for :func:`scipy.optimize.minimize`, applied last.
    """

    scipy_options: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        _check(isinstance(self.scipy_options, dict) and all(isinstance(k, str) for k in self.scipy_options),
               "scipy_options", self.scipy_options, "a dict with string keys")


class _IterationTracker:
    """SciPy's per-iteration callback: counts iterations, keeps the iterate, enforces limits, calls the user."""

    def __init__(self, problem: Problem, method: str, start: float, time_limit: float,
                 callback: Callable[[OptimizeResult], Any] | None) -> None:
        self.problem = problem
        self.method = method
        self.start = start
        self.deadline = start + time_limit
        self.callback = callback
        self.nit = 0
        self.x = problem.x0.copy()
        self.y: np.ndarray | None = None  # the solver's multipliers at self.x, when it exposes them

    def after_iteration(self, x: np.ndarray, y: np.ndarray | None) -> None:
        self.nit += 1
        self.x = np.array(x, dtype=float)
        self.y = None if y is None else np.array(y, dtype=float)
        if self.callback is not None:
            shown_y = self.y if self.y is not None else fitted_multipliers(self.problem, self.x)
            check_user_callback(self.callback, self.problem, x=self.x, y=shown_y, nit=self.nit, start=self.start,
                                method=self.method)
        if time.perf_counter() >= self.deadline:
            raise StopRequested(Status.TIME_LIMIT)


def _matrix_jacobian(problem: Problem, x: np.ndarray, *, dense: bool):
    jac = problem.jac(x)
    if isinstance(jac, LinearOperator):
        if problem.m * problem.n > MAX_DENSE_ENTRIES:
            raise ProblemDefinitionError(
                f"the SciPy references need the Jacobian as a matrix; this problem's is a {problem.m} x {problem.n} "
                f"LinearOperator, too large to materialise (more than {MAX_DENSE_ENTRIES} entries)"
            )
        return operators.to_dense(jac)
    if dense and sp.issparse(jac):
        return jac.toarray()
    return jac


def _trust_constr_arguments(problem: Problem, options: ScipyReferenceOptions, tracker: _IterationTracker):
    n, m = problem.n, problem.m
    solver_options: dict[str, Any] = {
        "gtol": options.tol / math.sqrt(n + m),
        "xtol": TRUST_CONSTR_XTOL,
        "maxiter": options.max_iter,
        "verbose": 2 if options.verbose else 0,
    }

    def on_iteration(x, state):
        tracker.after_iteration(x, state.v[0] if m else np.zeros(0))

    if m == 0:
        return dict(hess=lambda x: problem.hess(x, np.zeros(0)), constraints=()), solver_options, on_iteration
    zero_objective_hessian = sp.csr_array((n, n))
    constraint = NonlinearConstraint(problem.cons, 0.0, 0.0, jac=lambda x: _matrix_jacobian(problem, x, dense=False),
                                     hess=lambda x, v: problem.hess(x, v))
    return dict(hess=lambda x: zero_objective_hessian, constraints=[constraint]), solver_options, on_iteration


def _slsqp_arguments(problem: Problem, options: ScipyReferenceOptions, tracker: _IterationTracker):
    solver_options: dict[str, Any] = {
        "ftol": max(options.tol**2, SLSQP_FTOL_FLOOR),
        "maxiter": options.max_iter,
        "disp": bool(options.verbose),
    }

    def on_iteration(x):
        tracker.after_iteration(x, None)

    constraints = [] if problem.m == 0 else [
        {"type": "eq", "fun": problem.cons, "jac": lambda x: _matrix_jacobian(problem, x, dense=True)}
    ]
    return dict(constraints=constraints), solver_options, on_iteration


def solve_scipy(problem: Problem, method: str, options: ScipyReferenceOptions | dict[str, Any] | None = None, *,
                callback: Callable[[OptimizeResult], Any] | None = None) -> OptimizeResult:
    """Solve ``problem`` with SciPy's ``"trust-constr"`` or ``"SLSQP"`` from ``problem.x0``.

    Parameters
    ----------
    problem : the :class:`~sketchsqp.problem.Problem`.
    method : ``"trust-constr"`` or ``"SLSQP"`` (case-insensitive).
    options : :class:`ScipyReferenceOptions` or a dict of its fields.
    callback : called after every iteration with an intermediate result; returning True or raising
        StopIteration stops the run (CALLBACK_STOP).

    Returns
    -------
    OptimizeResult with the KKT quantities recomputed from the problem at ``(x, y)``, SciPy's own
    ending in ``info["external_status"]``/``info["external_message"]``, ``nit`` = SciPy iterations and
    the problem's evaluation counts.
    """
    key = method.lower() if isinstance(method, str) else method
    if key not in METHODS:
        raise OptionsError(f"unknown SciPy reference method {method!r}; choose one of {sorted(METHODS.values())}")
    scipy_method = METHODS[key]
    label = f"scipy-{key}"
    if not isinstance(options, ScipyReferenceOptions):
        options = ScipyReferenceOptions.from_mapping(options)
    start = time.perf_counter()
    problem.check_at(problem.x0)
    tracker = _IterationTracker(problem, label, start, options.time_limit, callback)
    build = _trust_constr_arguments if scipy_method == "trust-constr" else _slsqp_arguments
    arguments, solver_options, on_iteration = build(problem, options, tracker)
    solver_options.update(options.scipy_options)

    counts_before = problem.counts.snapshot()
    exception: BaseException | None = None
    detail = ""
    res = None
    try:
        res = minimize(problem.fun, problem.x0.copy(), jac=problem.grad, method=scipy_method,
                       options=solver_options, callback=on_iteration, **arguments)
    except StopRequested as stop:
        claimed = stop.status
    except RUN_ENDING_EXCEPTIONS as exc:
        claimed, exception, detail = status_of_exception(exc)
    elapsed = time.perf_counter() - start
    counts = problem.counts.since(counts_before)

    info: dict[str, Any] = {"scipy_options": dict(solver_options)}
    if res is not None:
        table = TRUST_CONSTR_STATUSES if scipy_method == "trust-constr" else SLSQP_STATUSES
        code = int(res.status)
        claimed = table.get(code, Status.EXTERNAL_FAILURE)
        info.update(external_status=code, external_message=str(res.message))
        x = np.asarray(res.x, dtype=float)
        nit = int(getattr(res, "nit", tracker.nit))
        if scipy_method == "trust-constr" and problem.m:
            y = np.asarray(res.v[0], dtype=float)
            info["multipliers"] = "trust-constr's v"
        else:
            y = fitted_multipliers(problem, x)
            info["multipliers"] = "least squares at x"
    else:
        x, nit = tracker.x, tracker.nit
        y = tracker.y if tracker.y is not None else fitted_multipliers(problem, x)
        info["multipliers"] = "the solver's at the last iterate" if tracker.y is not None else "least squares at x"
    if detail:
        info["detail"] = detail
    return verified_result(problem, x=x, y=y, claimed=claimed, tol=options.tol, counts=counts, nit=nit,
                           elapsed=elapsed, method=label, info=info, exception=exception)


__all__ = ["SLSQP_STATUSES", "ScipyReferenceOptions", "TRUST_CONSTR_STATUSES", "solve_scipy"]
