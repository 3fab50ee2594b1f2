"""Build a :class:`Problem` from SciPy-style arguments and constraint objects.

Only equality constraints are supported: ``NonlinearConstraint``/``LinearConstraint`` with
``lb == ub`` (elementwise) and SciPy's ``{"type": "eq", "fun": ..., "jac": ...}`` dictionaries.
Each constraint block contributes ``c_block(x) = fun(x) - lb``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np
import scipy.sparse as sp
from scipy.optimize import LinearConstraint, NonlinearConstraint, approx_fprime
from scipy.sparse.linalg import LinearOperator, aslinearoperator

from ..errors import ProblemDefinitionError
from . import operators
from .problem import Problem
from .validation import as_start_vector

_FD_JAC = ("2-point", "3-point", "cs")


@dataclasses.dataclass
class _Block:
    fun: Callable[[np.ndarray], np.ndarray]
    jac: Callable[[np.ndarray], Any]
    hess: Callable[[np.ndarray, np.ndarray], Any] | None  # (x, v) -> sum v_i hess c_i; None = unknown
    size: int
    linear: bool


def problem_from_scipy(fun, x0, *, jac, hess=None, constraints=(), bounds=None, y0=None, name="problem") -> Problem:
    """A :class:`Problem` from the arguments of :func:`sketchsqp.minimize`.

    ``jac`` is the gradient of ``fun`` (a callable; ``True`` means ``fun`` returns ``(f, grad)``);
    ``hess`` the Hessian of ``fun`` (callable returning a matrix or LinearOperator, or None).
    """
    x0 = as_start_vector("x0", x0)
    n = x0.shape[0]
    if bounds is not None:
        raise ProblemDefinitionError(
            "bounds are not supported yet: sketchsqp solves equality-constrained problems only "
            "(min f(x) s.t. c(x) = 0)"
        )
    fun, grad = _objective_callables(fun, jac)
    if hess is not None and not callable(hess):
        raise ProblemDefinitionError(
            f"hess must be a callable returning the Hessian of fun (or None), got {type(hess).__name__}; "
            "quasi-Newton strategies are not supported"
        )
    if isinstance(constraints, (NonlinearConstraint, LinearConstraint, dict)):
        constraints = [constraints]
    try:
        constraint_list = list(constraints) if constraints is not None else []
    except TypeError:
        raise ProblemDefinitionError(
            f"constraints must be a NonlinearConstraint, LinearConstraint, dict or a list of them, "
            f"got {type(constraints).__name__}"
        ) from None
    blocks = [_block(i, con, x0) for i, con in enumerate(constraint_list)]
    m = sum(b.size for b in blocks)
    if not blocks:
        return Problem(fun, grad, x0, hess=hess, y0=None, name=name)
    offsets = np.cumsum([0] + [b.size for b in blocks])

    def cons(x):
        return np.concatenate([np.asarray(b.fun(x), dtype=float).reshape(-1) for b in blocks])

    def jacobian(x):
        parts = [b.jac(x) for b in blocks]
        if len(parts) == 1:
            return parts[0]
        if any(isinstance(p, LinearOperator) for p in parts):
            return _vstack_operators([aslinearoperator(p) for p in parts], n)
        if any(sp.issparse(p) for p in parts):
            return sp.csr_array(sp.vstack([sp.csr_array(np.atleast_2d(p)) if not sp.issparse(p) else p for p in parts]))
        return np.vstack([np.atleast_2d(np.asarray(p, dtype=float)) for p in parts])

    all_hessians_known = all(b.hess is not None for b in blocks)
    cons_hess = None
    if all_hessians_known:
        def cons_hess(x, y):
            total = None
            for b, lo, hi in zip(blocks, offsets[:-1], offsets[1:]):
                if b.linear:
                    continue
                term = b.hess(x, y[lo:hi])
                total = term if total is None else operators.add(total, term)
            return sp.csr_array((n, n)) if total is None else total

    return Problem(fun, grad, x0, cons, jacobian, hess=hess, cons_hess=cons_hess, y0=y0, m=m, name=name)


def _objective_callables(fun, jac):
    if not callable(fun):
        raise ProblemDefinitionError(f"fun must be callable, got {type(fun).__name__}")
    if jac is True:
        cache: dict[str, Any] = {}

        def split(x):
            key = x.tobytes()
            if cache.get("key") != key:
                value, gradient = fun(x)
                cache.update(key=key, value=value, grad=gradient)
            return cache["value"], cache["grad"]

        return (lambda x: split(x)[0]), (lambda x: split(x)[1])
    if jac in _FD_JAC:
        return fun, lambda x: approx_fprime(x, fun)
    if not callable(jac):
        raise ProblemDefinitionError(
            "jac (the gradient of fun) must be a callable, True (fun returns (f, grad)) or one of "
            f"{_FD_JAC}; got {jac!r}"
        )
    return fun, jac


def _block(index: int, con, x0: np.ndarray) -> _Block:
    n = x0.shape[0]
    where = f"constraints[{index}]"
    if isinstance(con, LinearConstraint):
        lb, ub = _equal_bounds(where, con.lb, con.ub)
        A = con.A
        if isinstance(A, LinearOperator):
            mat = A
        elif sp.issparse(A):
            mat = sp.csr_array(A, dtype=float)
        else:
            mat = np.atleast_2d(np.asarray(A, dtype=float))
        if mat.shape[1] != n:
            raise ProblemDefinitionError(f"{where}: LinearConstraint.A has shape {mat.shape}, expected (k, {n})")
        rhs = np.broadcast_to(lb, (mat.shape[0],)).astype(float)
        return _Block(lambda x: operators.matvec(mat, x) - rhs, lambda x: mat, lambda x, v: None, mat.shape[0], True)
    if isinstance(con, NonlinearConstraint):
        lb, ub = _equal_bounds(where, con.lb, con.ub)
        cfun = con.fun
        probe = np.atleast_1d(np.asarray(cfun(x0.copy()), dtype=float))
        if probe.ndim != 1:
            raise ProblemDefinitionError(f"{where}: fun must return a vector, got shape {probe.shape}")
        size = probe.shape[0]
        rhs = np.broadcast_to(lb, (size,)).astype(float)
        if callable(con.jac):
            cjac = con.jac
        elif con.jac in _FD_JAC:
            def cjac(x, _f=cfun):
                return np.atleast_2d(approx_fprime(x, lambda z: np.atleast_1d(_f(z))))
        else:
            raise ProblemDefinitionError(f"{where}: NonlinearConstraint.jac must be a callable or one of {_FD_JAC}")
        chess = con.hess if callable(con.hess) else None
        return _Block(lambda x: np.atleast_1d(np.asarray(cfun(x), dtype=float)) - rhs, cjac, chess, size, False)
    if isinstance(con, dict):
        kind = con.get("type")
        if kind != "eq":
            raise ProblemDefinitionError(
                f"{where}: only equality constraints are supported yet (type 'eq'), got type {kind!r}"
            )
        if "fun" not in con or not callable(con["fun"]):
            raise ProblemDefinitionError(f"{where}: a constraint dict needs a callable 'fun'")
        args = tuple(con.get("args", ()))
        cfun = con["fun"]
        nl = NonlinearConstraint(lambda x: cfun(x, *args), 0.0, 0.0,
                                 jac=(lambda x: con["jac"](x, *args)) if callable(con.get("jac")) else "2-point")
        return _block(index, nl, x0)
    raise ProblemDefinitionError(
        f"{where}: expected NonlinearConstraint, LinearConstraint or dict, got {type(con).__name__}"
    )


def _equal_bounds(where: str, lb, ub):
    lb = np.asarray(lb, dtype=float)
    ub = np.asarray(ub, dtype=float)
    lb_b, ub_b = np.broadcast_arrays(lb, ub)
    if not np.all(np.isfinite(lb_b)) or not np.array_equal(lb_b, ub_b):
        raise ProblemDefinitionError(
            f"{where}: only equality constraints (lb == ub, finite) are supported yet; "
            "inequality constraints and bounds are not"
        )
    return lb, ub


def _vstack_operators(ops: list[LinearOperator], n: int) -> LinearOperator:
    sizes = [op.shape[0] for op in ops]
    offsets = np.cumsum([0] + sizes)

    def mv(v):
        return np.concatenate([np.asarray(op.matvec(v)).reshape(-1) for op in ops])

    def rmv(w):
        return sum(np.asarray(op.rmatvec(w[lo:hi])).reshape(-1) for op, lo, hi in zip(ops, offsets[:-1], offsets[1:]))

    return LinearOperator((int(offsets[-1]), n), matvec=mv, rmatvec=rmv, dtype=float)
