"""Use a problem compiled by pycutest (the Python interface to the Fortran CUTEst) as a Problem.

pycutest itself is imported only by :func:`import_pycutest_problem`;
:func:`problem_from_pycutest` works on any object with pycutest's ``CUTEstProblem`` interface.

Conventions: pycutest evaluates ``cl <= c(x) <= cu`` and, like CUTEst, its Lagrangian is
``f + v^T c`` (``hess(x, v)``/``sphess(x, v)``), which is this library's convention, so
multipliers and Hessians pass through unchanged.  The constraints handed to the solver are
``c(x) - cl`` for the equalities (``cl = cu``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import ProblemDefinitionError, require
from ..problem import Problem

__all__ = ["import_pycutest_problem", "problem_from_pycutest"]

_INFINITE_BOUND = 1.0e20


def import_pycutest_problem(name: str, sif_params: dict | None = None, *,
                            drop_bounds: bool = False) -> Problem:
    """Compile (or reuse) a CUTEst problem with pycutest and wrap it.

    Needs pycutest and a CUTEst installation (see pycutest's documentation).
    """
    pycutest = require("pycutest", "pycutest", "Loading CUTEst problems through pycutest")
    native = pycutest.import_problem(name, sifParams=sif_params or None)
    return problem_from_pycutest(native, drop_bounds=drop_bounds)


def problem_from_pycutest(cutest_problem, *, drop_bounds: bool = False) -> Problem:
    """Wrap a pycutest ``CUTEstProblem`` (equality constraints only) as a Problem.

    Parameters
    ----------
    cutest_problem : the object returned by ``pycutest.import_problem``.
    drop_bounds : accept finite variable bounds by ignoring them (only correct when they are
        inactive at the solution wanted); recorded in ``metadata["note"]``.

    Raises
    ------
    ProblemDefinitionError
        The problem has inequality constraints, or finite bounds without ``drop_bounds``.
    """
    native = cutest_problem
    name = str(getattr(native, "name", "pycutest problem"))
    n = int(native.n)
    m = int(native.m or 0)
    if m:
        is_equality = np.asarray(native.is_eq_cons, dtype=bool).reshape(-1)
        if not np.all(is_equality):
            raise ProblemDefinitionError(
                f"{name} has {int(np.count_nonzero(~is_equality))} inequality constraint(s); "
                "sketchsqp solves equality-constrained problems only"
            )
        rhs = np.asarray(native.cl, dtype=float).reshape(-1)
    else:
        rhs = np.zeros(0)
    lower = np.asarray(native.bl, dtype=float).reshape(-1)
    upper = np.asarray(native.bu, dtype=float).reshape(-1)
    n_bounded = int(np.count_nonzero((lower > -_INFINITE_BOUND) | (upper < _INFINITE_BOUND)))
    if n_bounded and not drop_bounds:
        raise ProblemDefinitionError(
            f"{name} has finite bounds on {n_bounded} variable(s); sketchsqp handles equality "
            "constraints only.  Pass drop_bounds=True if the bounds are inactive at the solution"
        )
    note = (f"finite bounds on {n_bounded} variable(s) dropped at the caller's request"
            if n_bounded else "free variables, equality constraints only")

    def fun(x):
        return float(native.obj(x))

    def grad(x):
        return np.asarray(native.obj(x, gradient=True)[1], dtype=float).reshape(-1)

    def cons(x):
        return np.asarray(native.cons(x), dtype=float).reshape(-1) - rhs

    def jac(x):
        return sp.csr_matrix(native.scons(x, gradient=True)[1])

    def lagrangian_hess(x, y):
        hessian = native.sphess(x, np.asarray(y, dtype=float)) if m else native.sphess(x)
        return sp.csr_matrix(hessian)

    y0 = getattr(native, "v0", None)
    metadata = {
        "source": "pycutest",
        "cutest_name": name,
        "classification": "",
        "n": n,
        "m": m,
        "bounds": f"{n_bounded} bounded variable(s), bounds dropped" if n_bounded else "none",
        "inequalities": 0,
        "sif_params": dict(getattr(native, "sifParams", None) or {}),
        "note": note,
    }
    return Problem(
        fun=fun,
        grad=grad,
        x0=np.asarray(native.x0, dtype=float).reshape(-1),
        cons=cons if m else None,
        jac=jac if m else None,
        lagrangian_hess=lagrangian_hess,
        y0=None if (y0 is None or not m) else np.asarray(y0, dtype=float).reshape(-1),
        m=m,
        name=name,
        metadata=metadata,
    )
