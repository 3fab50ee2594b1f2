"""External reference solvers behind the library's result type: IPOPT (cyipopt, optional extra
``ipopt``) and SciPy's ``trust-constr`` and ``SLSQP``.

Every reference recomputes the KKT residual ``||(grad f + J^T y, c)||_2`` from the problem at the
point it returns, with multipliers in the library's convention ``L = f + y^T c``, and reports
CONVERGED only when that residual is at most ``tol`` (:mod:`.kkt`); its own ending is kept in
``result.info["external_status"]``.  The references are deterministic: a seed is accepted and ignored.
"""

from __future__ import annotations

import importlib
from typing import Any

from ...problem import Problem
from ...result import OptimizeResult
from ..registry import MethodSpec
from .ipopt import IpoptOptions, solve_ipopt
from .kkt import KKTSummary, kkt_summary, least_squares_multipliers
from .scipy_reference import ScipyReferenceOptions, solve_scipy


def cyipopt_available() -> bool:
    """Whether the optional ``cyipopt`` package imports (a broken build, e.g. without libipopt, does not)."""
    try:
        importlib.import_module("cyipopt")
    except ImportError:
        return False
    return True


def _run_ipopt(problem: Problem, options: dict[str, Any] | None, seed, callback) -> OptimizeResult:
    return solve_ipopt(problem, options, callback=callback)


def _run_trust_constr(problem: Problem, options: dict[str, Any] | None, seed, callback) -> OptimizeResult:
    return solve_scipy(problem, "trust-constr", options, callback=callback)


def _run_slsqp(problem: Problem, options: dict[str, Any] | None, seed, callback) -> OptimizeResult:
    return solve_scipy(problem, "SLSQP", options, callback=callback)


def method_specs() -> list[MethodSpec]:
    """The reference methods, for :data:`sketchsqp.METHODS`."""
    return [
        MethodSpec("ipopt", "IPOPT interior-point method via cyipopt (exact Hessian, or limited-memory "
                   "quasi-Newton when the Hessian is only a LinearOperator)", _run_ipopt, randomized=False,
                   external=True, available=cyipopt_available),
        MethodSpec("scipy-trust-constr", "SciPy trust-constr (Byrd-Omojokun SQP) with the exact Lagrangian Hessian",
                   _run_trust_constr, randomized=False, external=True),
        MethodSpec("scipy-slsqp", "SciPy SLSQP (Kraft's sequential least squares, BFGS Hessian)", _run_slsqp,
                   randomized=False, external=True),
    ]


__all__ = ["IpoptOptions", "KKTSummary", "ScipyReferenceOptions", "cyipopt_available", "kkt_summary",
           "least_squares_multipliers", "method_specs", "solve_ipopt", "solve_scipy"]
