"""The six problems of the paper's CUTEst set that the S2MPJ collection lacks.

SINVALNE, TRIGON1NE, HIMMELBE, MOREBVNE, DENSCHNCNE and BA-L1 are written here from their
published SIF statements (CUTEst default parameters).  All six are systems of nonlinear
equations: the objective is zero and the residual groups are the equality constraints
``c(x) = 0``, exactly as CUTEst presents them to a constrained solver.

Conventions, as for every problem of :mod:`sketchsqp.problems.cutest`:

* ``c(x)`` is the value of each SIF group minus its constant, divided by the group's SCALE
  (CUTEst divides a group by its scale factor);
* the Lagrangian is ``L(x, y) = f(x) + y^T c(x)`` with ``f = 0``, so the Lagrangian Hessian is
  ``sum_i y_i hess c_i(x)``;
* Jacobians and Hessians are ``scipy.sparse`` CSR matrices.

Two points where the SIF files say something other than the textbook problem, kept on purpose
so that the problems are the ones CUTEst evaluates:

* SINVALNE scales its first group by 0.1 and its second by 2.0, so
  ``c = (10 (x2 - sin x1), x1 / 2)``.  SINEVAL (scale 1.0E-3 on a squared group) is therefore
  ``1000 (x2 - sin x1)^2 + x1^2 / 4 = 10 c1^2 + c2^2``, not ``||c||^2``.
* BA-L1's element routine (the Snavely reprojection error, Fortran appended to the SIF file)
  forms the second camera coordinate with ``e_x p`` where the Rodrigues rotation formula has
  ``e_y p`` (``p = (e . X)(1 - cos theta)``).  The formula is kept as published; BA-L1SP, the
  collection's quadratic model of the same bundle-adjustment problem, has BA-L1's residuals and
  Jacobian at BA-L1's starting point only with this formula.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import scipy.sparse as sp

from ..errors import ProblemDefinitionError
from ..problem import Problem

__all__ = ["EXTRA_PROBLEMS", "extra_problem_names", "has_extra_problem", "load_extra_problem"]


class _EquationSystem:
    """A square or rectangular system ``c(x) = 0`` with exact first and second derivatives."""

    name: str = ""
    classification: str = ""
    related: str = ""  # the collection problem this one is a version of ("" if none)
    note: str = ""

    def __init__(self, x0: np.ndarray, m: int) -> None:
        self.x0 = np.asarray(x0, dtype=float)
        self.n = self.x0.size
        self.m = int(m)

    def residuals(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def jacobian(self, x: np.ndarray) -> sp.csr_matrix:
        raise NotImplementedError

    def weighted_hessian(self, x: np.ndarray, y: np.ndarray) -> sp.csr_matrix:
        """``sum_i y_i hess c_i(x)``."""
        raise NotImplementedError


# --------------------------------------------------------------------------- small systems
class _SINVALNE(_EquationSystem):
    """Trigonometric banana valley (Xiao and Zhou 1992, problem 4.2) as two equations.

    ``c1 = (x2 - sin x1) / 0.1``, ``c2 = x1 / 2``; start (4.712389, -1).
    """

    name = "SINVALNE"
    classification = "NOR2-AN-2-2"
    related = "SINEVAL"
    note = ("group scales 0.1 and 2.0 as in the SIF file: SINEVAL's objective equals "
            "10 c1^2 + c2^2")
    _SCALE_G1 = 0.1
    _SCALE_G2 = 2.0

    def __init__(self) -> None:
        super().__init__([4.712389, -1.0], 2)

    def residuals(self, x):
        return np.array([(x[1] - np.sin(x[0])) / self._SCALE_G1, x[0] / self._SCALE_G2])

    def jacobian(self, x):
        return sp.csr_matrix(np.array([[-np.cos(x[0]) / self._SCALE_G1, 1.0 / self._SCALE_G1],
                                       [1.0 / self._SCALE_G2, 0.0]]))

    def weighted_hessian(self, x, y):
        return sp.csr_matrix(([y[0] * np.sin(x[0]) / self._SCALE_G1], ([0], [0])), shape=(2, 2))


class _HIMMELBE(_EquationSystem):
    """Himmelblau's problem 30 (Buckley #88): three equations in three unknowns.

    ``c1 = (x1 + x2)^2 / 4 - x3``, ``c2 = 1 - x1``, ``c3 = 1 - x2``; start (-1.2, 2, 0);
    solution (1, 1, 1).  The collection has no HIMMELBE at all (not even a least-squares form).
    """

    name = "HIMMELBE"
    classification = "NQR2-AY-3-3"

    def __init__(self) -> None:
        super().__init__([-1.2, 2.0, 0.0], 3)

    def residuals(self, x):
        return np.array([0.25 * (x[0] + x[1]) ** 2 - x[2], 1.0 - x[0], 1.0 - x[1]])

    def jacobian(self, x):
        s = 0.5 * (x[0] + x[1])
        return sp.csr_matrix(np.array([[s, s, -1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]]))

    def weighted_hessian(self, x, y):
        block = 0.5 * y[0] * np.ones((2, 2))
        out = np.zeros((3, 3))
        out[:2, :2] = block
        return sp.csr_matrix(out)


class _DENSCHNCNE(_EquationSystem):
    """Dennis and Schnabel's example (p. 98) as two equations.

    ``c1 = x1^2 + x2^2 - 2``, ``c2 = exp(x1 - 1) + x2^3 - 2``; start (2, 3).
    (The SIF header repeats DENSCHNC's classification; the system itself is NOR2-AN-2-2.)
    """

    name = "DENSCHNCNE"
    classification = "NOR2-AN-2-2"
    related = "DENSCHNC"

    def __init__(self) -> None:
        super().__init__([2.0, 3.0], 2)

    def residuals(self, x):
        return np.array([x[0] ** 2 + x[1] ** 2 - 2.0, np.exp(x[0] - 1.0) + x[1] ** 3 - 2.0])

    def jacobian(self, x):
        return sp.csr_matrix(np.array([[2.0 * x[0], 2.0 * x[1]],
                                       [np.exp(x[0] - 1.0), 3.0 * x[1] ** 2]]))

    def weighted_hessian(self, x, y):
        diagonal = [2.0 * y[0] + y[1] * np.exp(x[0] - 1.0), 2.0 * y[0] + 6.0 * y[1] * x[1]]
        return sp.diags(diagonal, format="csr")


class _TRIGON1NE(_EquationSystem):
    """SciPy global-optimisation benchmark Trigonometric01 as N equations (default N = 10).

    ``c_i = sum_{j != i} cos x_j + (i + 1) cos x_i + i sin x_i - (N + i)``, i = 1..N;
    start x = 0.1.
    """

    name = "TRIGON1NE"
    classification = "NOR2-MN-V-V"
    related = "TRIGON1"

    def __init__(self, n: int = 10) -> None:
        n = int(n)
        if n < 1:
            raise ProblemDefinitionError(f"TRIGON1NE needs N >= 1, got {n}")
        super().__init__(np.full(n, 0.1), n)
        self._index = np.arange(1, n + 1, dtype=float)

    def residuals(self, x):
        i = self._index
        return np.sum(np.cos(x)) + i * np.cos(x) + i * np.sin(x) - (self.n + i)

    def jacobian(self, x):
        i = self._index
        # every row holds -sin x_j; the diagonal adds the derivative of i (cos x_i + sin x_i)
        dense = np.tile(-np.sin(x), (self.n, 1))
        dense[np.diag_indices(self.n)] += i * (np.cos(x) - np.sin(x))
        return sp.csr_matrix(dense)

    def weighted_hessian(self, x, y):
        i = self._index
        diagonal = -np.sum(y) * np.cos(x) - y * i * (np.cos(x) + np.sin(x))
        return sp.diags(diagonal, format="csr")


class _MOREBVNE(_EquationSystem):
    """Moré-Garbow-Hillstrom boundary value problem 28 as N equations (default N = 10).

    With ``h = 1/(N+1)``, ``t_i = i h`` and ``x_0 = x_{N+1} = 0``:
    ``c_i = 2 x_i - x_{i-1} - x_{i+1} + (h^2 / 2) (x_i + t_i + 1)^3``; start ``t_i (t_i - 1)``.
    (The SIF file's last group names ``X(I)`` after its loop, which the SIF decoder reads as
    ``X(N)``: the textbook equation.)
    """

    name = "MOREBVNE"
    classification = "NOR2-MN-V-V"
    related = "MOREBV"

    def __init__(self, n: int = 10) -> None:
        n = int(n)
        if n < 2:
            raise ProblemDefinitionError(f"MOREBVNE needs N >= 2, got {n}")
        h = 1.0 / (n + 1)
        t = h * np.arange(1, n + 1)
        super().__init__(t * (t - 1.0), n)
        self._half_h2 = 0.5 * h * h
        self._shift = t + 1.0
        self._laplacian = sp.diags([-np.ones(n - 1), 2.0 * np.ones(n), -np.ones(n - 1)],
                                   [-1, 0, 1], format="csr")

    def residuals(self, x):
        return self._laplacian @ x + self._half_h2 * (x + self._shift) ** 3

    def jacobian(self, x):
        return (self._laplacian + sp.diags(3.0 * self._half_h2 * (x + self._shift) ** 2)).tocsr()

    def weighted_hessian(self, x, y):
        return sp.diags(6.0 * self._half_h2 * y * (x + self._shift), format="csr")


# --------------------------------------------------------------------------- BA-L1
class _Jet:
    """A scalar carried with its gradient and Hessian (second-order forward differentiation).

    Only the operations BA-L1's reprojection error needs: +, -, *, /, sqrt, sin, cos.
    """

    __slots__ = ("value", "grad", "hess")

    def __init__(self, value: float, grad: np.ndarray, hess: np.ndarray) -> None:
        self.value = value
        self.grad = grad
        self.hess = hess

    @classmethod
    def variables(cls, values: np.ndarray) -> list["_Jet"]:
        k = len(values)
        eye = np.eye(k)
        return [cls(float(v), eye[i].copy(), np.zeros((k, k))) for i, v in enumerate(values)]

    def _compose(self, f0: float, f1: float, f2: float) -> "_Jet":
        """``phi(self)`` from ``phi``, ``phi'`` and ``phi''`` at ``self.value`` (chain rule)."""
        return _Jet(f0, f1 * self.grad, f1 * self.hess + f2 * np.outer(self.grad, self.grad))

    def __add__(self, other):
        if isinstance(other, _Jet):
            return _Jet(self.value + other.value, self.grad + other.grad, self.hess + other.hess)
        return _Jet(self.value + other, self.grad, self.hess)

    __radd__ = __add__

    def __neg__(self):
        return _Jet(-self.value, -self.grad, -self.hess)

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, other):
        if isinstance(other, _Jet):
            cross = np.outer(self.grad, other.grad)
            return _Jet(self.value * other.value,
                        self.value * other.grad + other.value * self.grad,
                        self.value * other.hess + other.value * self.hess + cross + cross.T)
        return _Jet(self.value * other, self.grad * other, self.hess * other)

    __rmul__ = __mul__

    def reciprocal(self):
        v = self.value
        return self._compose(1.0 / v, -1.0 / v ** 2, 2.0 / v ** 3)

    def __truediv__(self, other):
        if isinstance(other, _Jet):
            return self * other.reciprocal()
        return self * (1.0 / other)

    def sqrt(self):
        r = np.sqrt(self.value)
        return self._compose(r, 0.5 / r, -0.25 / r ** 3)

    def sin(self):
        return self._compose(np.sin(self.value), np.cos(self.value), -np.sin(self.value))

    def cos(self):
        return self._compose(np.cos(self.value), -np.sin(self.value), -np.cos(self.value))


def _reprojection(element_vars: np.ndarray) -> tuple[_Jet, _Jet]:
    """BA-L1's element: predicted pixel coordinates of one observation, with derivatives.

    ``element_vars`` = (rx, ry, rz, X, Y, Z, tx, ty, tz, k1, k2, f): Rodrigues rotation vector,
    world point, translation, radial distortion and focal length.  Returns the two residual
    elements (before the observed pixel values are subtracted) as jets in these 12 variables.
    """
    r1, r2, r3, p1, p2, p3, s1, s2, s3, k1, k2, fl = _Jet.variables(element_vars)
    theta2 = r1 * r1 + r2 * r2 + r3 * r3
    if theta2.value > np.finfo(float).eps:
        theta = theta2.sqrt()
        ct, st = theta.cos(), theta.sin()
        ex, ey, ez = r1 / theta, r2 / theta, r3 / theta
        proj = (ex * p1 + ey * p2 + ez * p3) * (1.0 - ct)
        cx = p1 * ct + (ey * p3 - ez * p2) * st + ex * proj
        cy = p2 * ct + (ez * p1 - ex * p3) * st + ex * proj  # e_x here as published (module doc)
        cz = p3 * ct + (ex * p2 - ey * p1) * st + ez * proj
    else:
        # near a zero rotation the element uses R x ~ x + r cross x
        cx = p1 + r2 * p3 - r3 * p2
        cy = p2 + r3 * p1 - r1 * p3
        cz = p3 + r1 * p2 - r2 * p1
    cx, cy, cz = cx + s1, cy + s2, cz + s3
    dx, dy = -cx / cz, -cy / cz
    radius2 = dx * dx + dy * dy
    distortion = 1.0 + k1 * radius2 + k2 * radius2 * radius2
    return fl * distortion * dx, fl * distortion * dy


class _BAL1(_EquationSystem):
    """Bundle adjustment (Ladybug data, one point seen by six cameras): 12 equations, 57 unknowns.

    Variables: the point (X, Y, Z), then for each of the cameras 1, 2, 4, 27, 30, 37 in that
    order (rx, ry, rz, tx, ty, tz, k1, k2, f).  Equations, for each observation in turn:
    predicted pixel x minus observed, predicted pixel y minus observed.  The system is
    inconsistent (a least-squares problem written as equations).
    """

    name = "BA-L1"
    classification = "NOR2-MN-57-12"
    related = "BA-L1SP"
    note = ("second camera coordinate formed with e_x p as in the published element routine; "
            "BA-L1SP is a quadratic model of this system matching its value and Jacobian at x0")

    _OBSERVED = np.array([-332.65, 262.09, -199.76, 166.7, -253.06, 202.27,
                          58.13, 271.89, 238.22, 237.37, 317.55, 221.15])
    _POINT0 = np.array([-0.6120001572, 0.57175904776, -1.847081276])
    # rows: cameras 1, 2, 4, 27, 30, 37; columns: rx ry rz tx ty tz k1 k2 f
    _CAMERAS0 = np.array([
        [0.01574151594, -0.0127909362, -0.0044008498, -0.0340938396, -0.107513871,
         1.1202240291, -3.177064e-7, 5.882049e-13, 399.75152639],
        [0.01597732412, -0.0252244646, -0.0094001416, -0.0085667661, -0.1218804907,
         0.7190133075, -3.780477e-7, 9.307431e-13, 402.01753386],
        [0.01484625118, -0.0210628994, -0.001166948, -0.0249509707, -0.1139847055,
         0.92166020737, -3.295265e-7, 6.732885e-13, 400.40175368],
        [0.01991666998, -1.22433082, 0.0119988756, -1.411897512, -0.1148065151,
         0.44915582738, 5.95875e-8, -2.48391e-13, 407.03024568],
        [0.02082242153, -1.238434791, 0.01389314763, -1.049686225, -0.1299513286,
         0.33798380231, 4.5673127e-8, -1.79243e-13, 405.91764962],
        [0.01658816461, -1.247226838, 0.01846788123, -0.8617315756, -0.1321089362,
         0.28256800868, 4.7465711e-8, -1.50881e-13, 404.73590637],
    ])
    _N_CAMERA_VARS = 9

    def __init__(self) -> None:
        super().__init__(np.concatenate([self._POINT0, self._CAMERAS0.ravel()]), 12)
        # element variable order (rotation, point, translation, k1, k2, f) -> problem columns
        self._columns = []
        for k in range(len(self._CAMERAS0)):
            base = 3 + self._N_CAMERA_VARS * k
            self._columns.append(np.r_[base:base + 3, 0:3, base + 3:base + 9])

    def _elements(self, x):
        return [_reprojection(x[cols]) for cols in self._columns]

    def residuals(self, x):
        predicted = [jet.value for pair in self._elements(x) for jet in pair]
        return np.asarray(predicted) - self._OBSERVED

    def jacobian(self, x):
        rows, cols, vals = [], [], []
        for k, pair in enumerate(self._elements(x)):
            for offset, jet in enumerate(pair):
                rows.append(np.full(12, 2 * k + offset))
                cols.append(self._columns[k])
                vals.append(jet.grad)
        return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                             shape=(self.m, self.n))

    def weighted_hessian(self, x, y):
        out = np.zeros((self.n, self.n))
        for k, pair in enumerate(self._elements(x)):
            block = y[2 * k] * pair[0].hess + y[2 * k + 1] * pair[1].hess
            out[np.ix_(self._columns[k], self._columns[k])] += block
        return sp.csr_matrix(out)


# --------------------------------------------------------------------------- registry
EXTRA_PROBLEMS: dict[str, Callable[..., _EquationSystem]] = {
    "SINVALNE": _SINVALNE,
    "TRIGON1NE": _TRIGON1NE,
    "HIMMELBE": _HIMMELBE,
    "MOREBVNE": _MOREBVNE,
    "DENSCHNCNE": _DENSCHNCNE,
    "BA-L1": _BAL1,
}


def extra_problem_names() -> list[str]:
    """Names of the problems defined in this module."""
    return list(EXTRA_PROBLEMS)


def has_extra_problem(name: str) -> bool:
    return name.upper() in EXTRA_PROBLEMS


def load_extra_problem(name: str, *sif_args) -> Problem:
    """Build one of the six problems as a :class:`~sketchsqp.problem.Problem`.

    Parameters
    ----------
    name : SINVALNE, TRIGON1NE, HIMMELBE, MOREBVNE, DENSCHNCNE or BA-L1 (case-insensitive).
    sif_args : the SIF size parameter N for TRIGON1NE and MOREBVNE (default 10); the other
        problems have none.
    """
    key = name.upper()
    if key not in EXTRA_PROBLEMS:
        raise ProblemDefinitionError(f"no built-in problem named {name!r}; known: {extra_problem_names()}")
    try:
        system = EXTRA_PROBLEMS[key](*sif_args)
    except TypeError as exc:
        raise ProblemDefinitionError(f"{key} does not take the parameters {sif_args!r}: {exc}") from exc
    n = system.n
    metadata = {
        "source": "sketchsqp (from SIF)",
        "cutest_name": system.name,
        "classification": system.classification,
        "n": n,
        "m": system.m,
        "bounds": "none",
        "inequalities": 0,
        "objective": "none (nonlinear equations: f = 0)",
        "related": system.related,
        "sif_args": tuple(sif_args),
        "note": system.note or "free variables, equality constraints only",
    }
    return Problem(
        fun=lambda x: 0.0,
        grad=lambda x: np.zeros(n),
        x0=system.x0.copy(),
        cons=system.residuals,
        jac=system.jacobian,
        lagrangian_hess=system.weighted_hessian,
        y0=np.zeros(system.m),
        m=system.m,
        name=system.name,
        metadata=metadata,
    )
