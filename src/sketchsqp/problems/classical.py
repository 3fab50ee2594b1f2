"""Classical small equality-constrained test problems with published solutions.

The set holds the Hock-Schittkowski problems whose constraints are equalities (and whose bounds,
where the book states any, are inactive), the Boggs-Tolle problems BT1-BT12 in the form used by
CUTEst, and the Maratos example.  Every problem is written out in plain NumPy with exact first and
second derivatives, so it needs neither CUTEst nor automatic differentiation.

References
----------
W. Hock and K. Schittkowski, "Test examples for nonlinear programming codes", Lecture Notes in
Economics and Mathematical Systems 187, Springer, 1981.

P. T. Boggs and J. W. Tolle, "A strategy for global convergence in a sequential quadratic
programming algorithm", SIAM J. Numer. Anal. 26(3):600-623, 1989.

J. Nocedal and S. J. Wright, "Numerical Optimization", 2nd ed., Springer, 2006, Example 15.4.

Examples
--------
>>> from sketchsqp.problems.classical import get_classical, load_classical
>>> spec = get_classical("HS28")
>>> spec.n, spec.m, spec.f_opt
(3, 1, 0.0)
>>> problem = load_classical("HS28")      # a sketchsqp.problem.Problem
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..problem import Problem

__all__ = [
    "ClassicalProblem",
    "classical_names",
    "classical_problems",
    "get_classical",
    "load_classical",
]

Vector = np.ndarray
Matrix = np.ndarray


def _frozen_vector(values, label: str) -> np.ndarray:
    arr = np.array(values, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{label} must be finite")
    arr.setflags(write=False)  # shared by every caller of get_classical: nobody may edit it
    return arr


@dataclass(frozen=True, eq=False, kw_only=True)
class ClassicalProblem:
    """One classical test problem ``min f(x) s.t. c(x) = 0`` with its published solution.

    Attributes
    ----------
    name : the name used by the source and by CUTEst (``"HS28"``, ``"BT1"``, ...).
    source : the citation of the problem statement, starting point and optimal value.
    n, m : numbers of variables and of equality constraints.
    x0 : the published starting point, shape (n,), read-only.
    y0 : starting multipliers, zeros of shape (m,), read-only.
    fun, grad, hess : ``f(x)``, its gradient (n,) and its Hessian (n, n).
    cons, jac : ``c(x)`` (m,) and its Jacobian (m, n).
    cons_hess : ``(x, y) -> sum_i y_i hess c_i(x)``, (n, n).
    f_opt : the published optimal objective value (replaced, with a ``note``, where the published
        value is provably wrong beyond its rounding: BT7).
    x_opt : the published solution; where the source gives none, the solution in closed form from
        the KKT conditions (``note`` says so), or None; read-only.
    x_opt_accuracy : bound on the error of each entry of ``x_opt`` -- rounding, and where the
        published digits are not all correct, their own error (0 where ``x_opt`` is exact).
    reachable : False when ``f_opt`` is a global value that a local method started at ``x0`` is not
        expected to reach (``note`` says why).
    note : remarks on the statement (variants, typos fixed by CUTEst, other local minima).
    """

    name: str
    source: str
    x0: np.ndarray
    m: int
    fun: Callable[[Vector], float]
    grad: Callable[[Vector], Vector]
    hess: Callable[[Vector], Matrix]
    cons: Callable[[Vector], Vector]
    jac: Callable[[Vector], Matrix]
    cons_hess: Callable[[Vector, Vector], Matrix]
    f_opt: float
    x_opt: np.ndarray | None = None
    x_opt_accuracy: float = 0.0
    reachable: bool = True
    note: str = ""
    n: int = field(init=False)
    y0: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        x0 = _frozen_vector(self.x0, f"{self.name}: x0")
        object.__setattr__(self, "x0", x0)
        object.__setattr__(self, "n", int(x0.shape[0]))
        y0 = np.zeros(int(self.m))
        y0.setflags(write=False)
        object.__setattr__(self, "y0", y0)
        object.__setattr__(self, "f_opt", float(self.f_opt))
        if np.shape(self.cons(x0)) != (int(self.m),):
            raise ValueError(f"{self.name}: cons(x0) has shape {np.shape(self.cons(x0))}, expected ({self.m},)")
        if self.x_opt is not None:
            x_opt = _frozen_vector(self.x_opt, f"{self.name}: x_opt")
            if x_opt.shape != x0.shape:
                raise ValueError(f"{self.name}: x_opt has shape {x_opt.shape}, x0 has shape {x0.shape}")
            object.__setattr__(self, "x_opt", x_opt)

    def to_problem(self) -> Problem:
        """The problem as a :class:`sketchsqp.problem.Problem` (exact first and second derivatives)."""
        metadata = {
            "f_opt": self.f_opt,
            "x_opt": None if self.x_opt is None else self.x_opt.copy(),
            "source": self.source,
            "reachable": self.reachable,
        }
        return Problem(
            self.fun, self.grad, self.x0.copy(), self.cons, self.jac,
            hess=self.hess, cons_hess=self.cons_hess, y0=self.y0.copy(), m=self.m,
            name=self.name, metadata=metadata,
        )


# ---------------------------------------------------------------------------------------------
# Building blocks shared by the problem modules
# ---------------------------------------------------------------------------------------------


class AffinePowerSum:
    """``f(x) = sum_k w_k (a_k^T x - s_k)^p_k``: value, gradient and Hessian in closed form.

    Most objectives of the set are such sums (least-squares-like terms with powers 1, 2, 3, 4, 6),
    so one exact implementation serves them all.

    Parameters
    ----------
    n : number of variables.
    terms : ``(weight, {index: coefficient}, shift, power)`` for each term; ``power`` is a
        positive integer.
    """

    def __init__(self, n: int, terms: Sequence[tuple[float, dict[int, float], float, int]]) -> None:
        self.n = n
        self.weights = np.array([t[0] for t in terms], dtype=float)
        self.rows = np.zeros((len(terms), n))
        for k, (_, coefficients, _, _) in enumerate(terms):
            for index, coefficient in coefficients.items():
                self.rows[k, index] = coefficient
        self.shifts = np.array([t[2] for t in terms], dtype=float)
        self.powers = np.array([t[3] for t in terms], dtype=int)
        if np.any(self.powers < 1):
            raise ValueError("powers must be positive integers")

    def _residuals(self, x: Vector) -> Vector:
        return self.rows @ x - self.shifts

    def fun(self, x: Vector) -> float:
        r = self._residuals(x)
        return float(np.sum(self.weights * r ** self.powers))

    def grad(self, x: Vector) -> Vector:
        r = self._residuals(x)
        outer = self.weights * self.powers * r ** (self.powers - 1)
        return self.rows.T @ outer

    def hess(self, x: Vector) -> Matrix:
        r = self._residuals(x)
        p = self.powers
        # Terms of power 1 have no curvature: the factor p - 1 = 0 removes them.
        curvature = self.weights * p * (p - 1) * r ** np.maximum(p - 2, 0)
        return (self.rows.T * curvature) @ self.rows


class LinearConstraints:
    """``c(x) = A x - b`` with its constant Jacobian and zero constraint Hessian."""

    def __init__(self, A, b) -> None:
        self.A = np.array(A, dtype=float)
        self.b = np.array(b, dtype=float)

    def cons(self, x: Vector) -> Vector:
        return self.A @ x - self.b

    def jac(self, x: Vector) -> Matrix:
        return self.A.copy()

    def cons_hess(self, x: Vector, y: Vector) -> Matrix:
        n = self.A.shape[1]
        return np.zeros((n, n))


def zero_hessian(n: int) -> Callable[[Vector], Matrix]:
    """The Hessian of an affine objective: ``x -> zeros((n, n))``."""
    return lambda x: np.zeros((n, n))


# ---------------------------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _registry() -> dict[str, ClassicalProblem]:
    # Imported here because the problem modules import the building blocks above.
    from . import classical_bt, classical_hs

    problems: dict[str, ClassicalProblem] = {}
    for build in (*classical_hs.BUILDERS, *classical_bt.BUILDERS):
        problem = build()
        if problem.name in problems:
            raise RuntimeError(f"duplicate classical problem name {problem.name!r}")
        problems[problem.name] = problem
    return problems


def classical_names() -> list[str]:
    """Names of the classical problems, Hock-Schittkowski first, then Boggs-Tolle, then Maratos."""
    return list(_registry())


def classical_problems() -> list[ClassicalProblem]:
    """All classical problems, in the order of :func:`classical_names`."""
    return list(_registry().values())


def get_classical(name: str) -> ClassicalProblem:
    """The classical problem called ``name`` (case-insensitive).

    Raises
    ------
    KeyError
        If there is no such problem; the message lists the names there are.
    """
    registry = _registry()
    key = str(name).upper()
    if key not in registry:
        raise KeyError(f"no classical problem named {name!r}; the names are: {', '.join(registry)}")
    return registry[key]


def load_classical(name: str) -> Problem:
    """The classical problem called ``name`` as a :class:`sketchsqp.problem.Problem`."""
    return get_classical(name).to_problem()
