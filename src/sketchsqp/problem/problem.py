"""The :class:`Problem` an algorithm sees: min f(x) s.t. c(x) = 0.

Every evaluation goes through the methods of :class:`Problem`, which count it, check the shape and
finiteness of what the user callable returned, and wrap an exception the callable raised into a
:class:`~sketchsqp.errors.UserCallableError` that keeps the original as its cause.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from scipy.sparse.linalg import LinearOperator

from ..errors import EvaluationError, ProblemDefinitionError, UserCallableError
from . import operators
from .counters import EvaluationCounts
from .validation import as_start_vector, checked_matrix, checked_scalar, checked_vector

ArrayFn = Callable[[np.ndarray], Any]


class Problem:
    """An equality-constrained problem ``min f(x) s.t. c(x) = 0`` with ``x`` in R^n, ``c`` in R^m.

    Parameters
    ----------
    fun, grad : callables ``x -> float`` and ``x -> (n,)``.
    x0 : starting point, shape (n,).
    cons, jac : callables ``x -> (m,)`` and ``x -> (m, n)`` (ndarray, scipy.sparse or
        LinearOperator).  Omit both for an unconstrained problem.
    hess : Hessian of ``f``, ``x -> (n, n)`` (any of the three kinds), optional.
    cons_hess : ``(x, y) -> sum_i y_i hess c_i(x)`` (SciPy ``NonlinearConstraint.hess`` convention),
        optional.
    lagrangian_hess : ``(x, y) -> hess f + sum_i y_i hess c_i``; overrides ``hess``/``cons_hess``.
    lagrangian_hessp : ``(x, y, v) -> (hess_xx L) v``; used when no matrix form is given.
    y0 : starting multipliers, default zeros.
    m : number of constraints; found by evaluating ``cons(x0)`` when omitted.
    name : a label for logs and benchmark records.

    Where no second derivatives are given, Hessian-vector products of the Lagrangian are formed by
    forward differences of ``grad_x L`` (each costs one gradient and one Jacobian evaluation).
    """

    def __init__(
        self,
        fun: ArrayFn,
        grad: ArrayFn,
        x0,
        cons: ArrayFn | None = None,
        jac: ArrayFn | None = None,
        *,
        hess: ArrayFn | None = None,
        cons_hess: Callable[[np.ndarray, np.ndarray], Any] | None = None,
        lagrangian_hess: Callable[[np.ndarray, np.ndarray], Any] | None = None,
        lagrangian_hessp: Callable[[np.ndarray, np.ndarray, np.ndarray], Any] | None = None,
        y0=None,
        m: int | None = None,
        name: str = "problem",
        metadata: dict | None = None,
    ) -> None:
        for label, fn in (("fun", fun), ("grad", grad)):
            if not callable(fn):
                raise ProblemDefinitionError(f"{label} must be callable, got {type(fn).__name__}")
        if (cons is None) != (jac is None):
            raise ProblemDefinitionError("cons and jac must be given together (or both omitted)")
        for label, fn in (("cons", cons), ("jac", jac), ("hess", hess), ("cons_hess", cons_hess),
                          ("lagrangian_hess", lagrangian_hess), ("lagrangian_hessp", lagrangian_hessp)):
            if fn is not None and not callable(fn):
                raise ProblemDefinitionError(f"{label} must be callable or None, got {type(fn).__name__}")
        self.x0 = as_start_vector("x0", x0)
        self.n = self.x0.shape[0]
        if self.n == 0:
            raise ProblemDefinitionError("x0 is empty: the problem has no variables")
        self.name = str(name)
        self.metadata = dict(metadata or {})
        self._fun, self._grad, self._cons, self._jac = fun, grad, cons, jac
        self._hess, self._cons_hess = hess, cons_hess
        self._lag_hess, self._lag_hessp = lagrangian_hess, lagrangian_hessp
        self.counts = EvaluationCounts()
        if cons is None:
            self.m = 0
        elif m is not None:
            self.m = int(m)
        else:
            # The number of constraints is not given: one evaluation at x0 finds it (not counted).
            value = self._invoke("cons", cons, self.x0)
            arr = np.asarray(value)
            if arr.ndim > 1 or arr.dtype == object:
                raise ProblemDefinitionError(f"cons must return a vector, got shape {arr.shape}")
            self.m = int(arr.size)
        if self.m < 0:
            raise ProblemDefinitionError(f"m must be non-negative, got {self.m}")
        self.y0 = np.zeros(self.m) if y0 is None else as_start_vector("y0", y0, self.m)
        self.hessian_source = (
            "lagrangian_hess" if lagrangian_hess is not None
            else "lagrangian_hessp" if lagrangian_hessp is not None
            else "hess+cons_hess" if hess is not None and (cons_hess is not None or self.m == 0)
            else "finite-differences"
        )

    # ------------------------------------------------------------------ evaluations
    @staticmethod
    def _invoke(name: str, fn, *args):
        try:
            return fn(*args)
        except EvaluationError:
            raise
        except (KeyboardInterrupt, SystemExit, MemoryError):
            raise
        except Exception as exc:
            raise UserCallableError(name, exc) from exc

    def fun(self, x: np.ndarray) -> float:
        self.counts.nfev += 1
        return checked_scalar("fun", self._invoke("fun", self._fun, x.copy()))

    def grad(self, x: np.ndarray) -> np.ndarray:
        self.counts.ngev += 1
        return checked_vector("grad", self._invoke("grad", self._grad, x.copy()), self.n)

    def cons(self, x: np.ndarray) -> np.ndarray:
        if self.m == 0:
            return np.zeros(0)
        self.counts.ncev += 1
        return checked_vector("cons", self._invoke("cons", self._cons, x.copy()), self.m)

    def jac(self, x: np.ndarray):
        """Constraint Jacobian, (m, n): ndarray, scipy.sparse (CSR) or LinearOperator."""
        if self.m == 0:
            return np.zeros((0, self.n))
        self.counts.njev += 1
        return checked_matrix("jac", self._invoke("jac", self._jac, x.copy()), (self.m, self.n))

    def lagrangian_gradient(self, g: np.ndarray, jac, y: np.ndarray) -> np.ndarray:
        """``grad f + J^T y`` from already evaluated parts."""
        if self.m == 0:
            return g.copy()
        return g + operators.rmatvec(jac, y)

    def hess(self, x: np.ndarray, y: np.ndarray):
        """Lagrangian Hessian ``hess f + sum y_i hess c_i`` at (x, y): matrix or LinearOperator."""
        shape = (self.n, self.n)
        if self._lag_hess is not None:
            self.counts.nhev += 1
            return checked_matrix("lagrangian_hess", self._invoke("lagrangian_hess", self._lag_hess, x.copy(), y.copy()), shape)
        if self._lag_hessp is not None:
            return self._hessp_operator(x, y, self._user_hessp)
        if self._hess is not None and (self._cons_hess is not None or self.m == 0):
            self.counts.nhev += 1
            hf = checked_matrix("hess", self._invoke("hess", self._hess, x.copy()), shape)
            if self.m == 0:
                return hf
            hc = checked_matrix("cons_hess", self._invoke("cons_hess", self._cons_hess, x.copy(), y.copy()), shape)
            return operators.add(hf, hc)
        return self._hessp_operator(x, y, self._finite_difference_hessp)

    def _hessp_operator(self, x: np.ndarray, y: np.ndarray, product) -> LinearOperator:
        x = x.copy()
        y = y.copy()
        cache: dict[str, Any] = {}

        def mv(v):
            v = np.asarray(v, dtype=float).reshape(-1)
            self.counts.nhev += 1
            out = product(x, y, v, cache)
            return checked_vector("Hessian-vector product", out, self.n)

        return LinearOperator(shape=(self.n, self.n), matvec=mv, rmatvec=mv, dtype=float)

    def _user_hessp(self, x, y, v, cache):
        return self._invoke("lagrangian_hessp", self._lag_hessp, x, y, v)

    def _finite_difference_hessp(self, x, y, v, cache):
        """Forward difference of grad_x L along v (step scaled to x and v)."""
        norm_v = float(np.linalg.norm(v))
        if norm_v == 0.0:
            return np.zeros(self.n)
        if "gl" not in cache:
            cache["gl"] = self._grad_lagrangian_uncounted(x, y)
        h = np.sqrt(np.finfo(float).eps) * max(1.0, float(np.linalg.norm(x))) / norm_v
        return (self._grad_lagrangian_uncounted(x + h * v, y) - cache["gl"]) / h

    def _grad_lagrangian_uncounted(self, x, y):
        # Counted as part of the Hessian-vector product (nhev), not as gradient evaluations.
        g = checked_vector("grad", self._invoke("grad", self._grad, x.copy()), self.n)
        if self.m == 0:
            return g
        jac = checked_matrix("jac", self._invoke("jac", self._jac, x.copy()), (self.m, self.n))
        return g + operators.rmatvec(jac, y)

    def hessp(self, x: np.ndarray, y: np.ndarray, v: np.ndarray) -> np.ndarray:
        return operators.matvec(self.hess(x, y), v)

    # ------------------------------------------------------------------ checks
    def check_at(self, x: np.ndarray, y: np.ndarray | None = None) -> None:
        """Evaluate everything once at ``x`` (normally x0) and raise a clear error on any fault.

        Used by the API before the iteration starts, so that a malformed model fails fast with a
        message naming the callable, instead of as a status after the first step.  These
        evaluations are not counted.
        """
        if self.m > self.n:
            raise ProblemDefinitionError(
                f"the problem has more equality constraints than variables (m = {self.m} > n = {self.n}): "
                "the constraint Jacobian cannot have full row rank, so no KKT point satisfies LICQ; "
                "remove redundant constraints or reformulate as a least-squares objective"
            )
        saved = self.counts.snapshot()
        y = self.y0 if y is None else y
        try:
            self.fun(x)
            self.grad(x)
            self.cons(x)
            self.jac(x)
            hess = self.hess(x, y)
            operators.matvec(hess, np.ones(self.n))
        except UserCallableError:
            raise
        except EvaluationError as exc:
            raise ProblemDefinitionError(f"at x0, {exc}") from exc
        finally:
            self.counts = saved

    def kkt_residual(self, x: np.ndarray, y: np.ndarray) -> float:
        """``||(grad f + J^T y, c)||_2`` recomputed from the problem (counted)."""
        g = self.grad(x)
        c = self.cons(x)
        gl = self.lagrangian_gradient(g, self.jac(x), y) if self.m else g
        return float(np.hypot(np.linalg.norm(gl), np.linalg.norm(c)))

    def __repr__(self) -> str:
        return f"Problem(name={self.name!r}, n={self.n}, m={self.m}, hessian={self.hessian_source})"
