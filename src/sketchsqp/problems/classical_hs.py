"""Hock-Schittkowski problems with equality constraints only.

Statements, starting points and solutions follow W. Hock and K. Schittkowski, "Test examples for
nonlinear programming codes", LNEMS 187, Springer, 1981 (problem numbers as there).  HS56 is the
book's own equality-only form: its bounds are folded into the constraints through ``sin^2``.
HS100LNP is the CUTEst variant of HS100 in which the two constraints active at the solution are
equalities and the two inactive ones are removed.  Variables are indexed from 0 in the code
(``x[0]`` is the book's ``x1``).
"""

from __future__ import annotations

import numpy as np

from .classical import AffinePowerSum, ClassicalProblem, LinearConstraints, zero_hessian

SQRT2 = np.sqrt(2.0)


def _source(number: int | str) -> str:
    return (f"Hock & Schittkowski (1981), Test examples for nonlinear programming codes, "
            f"LNEMS 187, Springer, problem {number}")


def _problem(name: str, objective: AffinePowerSum, constraints, **fields) -> ClassicalProblem:
    """A problem whose objective and constraints are objects with the usual methods."""
    return ClassicalProblem(
        name=name, fun=objective.fun, grad=objective.grad, hess=objective.hess,
        cons=constraints.cons, jac=constraints.jac, cons_hess=constraints.cons_hess, **fields,
    )


# ------------------------------------------------------------------------------------- HS6


def hs6() -> ClassicalProblem:
    """min (1 - x1)^2  s.t.  10 (x2 - x1^2) = 0."""
    objective = AffinePowerSum(2, [(1.0, {0: 1.0}, 1.0, 2)])

    def cons(x):
        return np.array([10.0 * (x[1] - x[0] ** 2)])

    def jac(x):
        return np.array([[-20.0 * x[0], 10.0]])

    def cons_hess(x, y):
        return np.array([[-20.0 * y[0], 0.0], [0.0, 0.0]])

    return ClassicalProblem(
        name="HS6", source=_source(6), x0=[-1.2, 1.0], m=1,
        fun=objective.fun, grad=objective.grad, hess=objective.hess,
        cons=cons, jac=jac, cons_hess=cons_hess, f_opt=0.0, x_opt=[1.0, 1.0],
    )


# ------------------------------------------------------------------------------------- HS7


def hs7() -> ClassicalProblem:
    """min log(1 + x1^2) - x2  s.t.  (1 + x1^2)^2 + x2^2 - 4 = 0."""

    def fun(x):
        return float(np.log1p(x[0] ** 2) - x[1])

    def grad(x):
        return np.array([2.0 * x[0] / (1.0 + x[0] ** 2), -1.0])

    def hess(x):
        s = 1.0 + x[0] ** 2
        return np.array([[2.0 * (1.0 - x[0] ** 2) / s ** 2, 0.0], [0.0, 0.0]])

    def cons(x):
        return np.array([(1.0 + x[0] ** 2) ** 2 + x[1] ** 2 - 4.0])

    def jac(x):
        return np.array([[4.0 * x[0] * (1.0 + x[0] ** 2), 2.0 * x[1]]])

    def cons_hess(x, y):
        return y[0] * np.array([[4.0 + 12.0 * x[0] ** 2, 0.0], [0.0, 2.0]])

    return ClassicalProblem(
        name="HS7", source=_source(7), x0=[2.0, 2.0], m=1,
        fun=fun, grad=grad, hess=hess, cons=cons, jac=jac, cons_hess=cons_hess,
        f_opt=-np.sqrt(3.0), x_opt=[0.0, np.sqrt(3.0)],
    )


# ------------------------------------------------------------------------------------- HS8


def hs8() -> ClassicalProblem:
    """min -1  s.t.  x1^2 + x2^2 - 25 = 0,  x1 x2 - 9 = 0 (a feasibility problem)."""

    def cons(x):
        return np.array([x[0] ** 2 + x[1] ** 2 - 25.0, x[0] * x[1] - 9.0])

    def jac(x):
        return np.array([[2.0 * x[0], 2.0 * x[1]], [x[1], x[0]]])

    def cons_hess(x, y):
        return np.array([[2.0 * y[0], y[1]], [y[1], 2.0 * y[0]]])

    # The four solutions are (+-a, +-9/a) and (+-9/a, +-a), a^2 = (25 + sqrt(301)) / 2.
    a = np.sqrt((25.0 + np.sqrt(301.0)) / 2.0)
    return ClassicalProblem(
        name="HS8", source=_source(8), x0=[2.0, 1.0], m=2,
        fun=lambda x: -1.0, grad=lambda x: np.zeros(2), hess=zero_hessian(2),
        cons=cons, jac=jac, cons_hess=cons_hess, f_opt=-1.0, x_opt=[a, 9.0 / a],
        note="Constant objective: every feasible point is optimal; the book lists four "
             "solutions, x_opt is the one with both coordinates positive and x1 > x2.",
    )


# ------------------------------------------------------------------------------------- HS9


def hs9() -> ClassicalProblem:
    """min sin(pi x1 / 12) cos(pi x2 / 16)  s.t.  4 x1 - 3 x2 = 0."""
    a, b = np.pi / 12.0, np.pi / 16.0

    def fun(x):
        return float(np.sin(a * x[0]) * np.cos(b * x[1]))

    def grad(x):
        s1, c1 = np.sin(a * x[0]), np.cos(a * x[0])
        s2, c2 = np.sin(b * x[1]), np.cos(b * x[1])
        return np.array([a * c1 * c2, -b * s1 * s2])

    def hess(x):
        s1, c1 = np.sin(a * x[0]), np.cos(a * x[0])
        s2, c2 = np.sin(b * x[1]), np.cos(b * x[1])
        off = -a * b * c1 * s2
        return np.array([[-a * a * s1 * c2, off], [off, -b * b * s1 * c2]])

    constraints = LinearConstraints([[4.0, -3.0]], [0.0])
    return ClassicalProblem(
        name="HS9", source=_source(9), x0=[0.0, 0.0], m=1,
        fun=fun, grad=grad, hess=hess, cons=constraints.cons, jac=constraints.jac,
        cons_hess=constraints.cons_hess, f_opt=-0.5, x_opt=[-3.0, -4.0],
        note="Periodic: the solutions are (12k - 3, 16k - 4) for every integer k; x_opt is k = 0, "
             "the one next to x0.",
    )


# ------------------------------------------------------------------------------------ HS26


class _HS26Constraints:
    """(1 + x2^2) x1 + x3^4 - 3 = 0."""

    def cons(self, x):
        return np.array([(1.0 + x[1] ** 2) * x[0] + x[2] ** 4 - 3.0])

    def jac(self, x):
        return np.array([[1.0 + x[1] ** 2, 2.0 * x[0] * x[1], 4.0 * x[2] ** 3]])

    def cons_hess(self, x, y):
        return y[0] * np.array([
            [0.0, 2.0 * x[1], 0.0],
            [2.0 * x[1], 2.0 * x[0], 0.0],
            [0.0, 0.0, 12.0 * x[2] ** 2],
        ])


def hs26() -> ClassicalProblem:
    """min (x1 - x2)^2 + (x2 - x3)^4  s.t.  (1 + x2^2) x1 + x3^4 - 3 = 0."""
    objective = AffinePowerSum(3, [(1.0, {0: 1.0, 1: -1.0}, 0.0, 2), (1.0, {1: 1.0, 2: -1.0}, 0.0, 4)])
    return _problem(
        "HS26", objective, _HS26Constraints(), source=_source(26), x0=[-2.6, 2.0, 2.0], m=1,
        f_opt=0.0, x_opt=[1.0, 1.0, 1.0],
        note="The Hessian of f is singular at x_opt (quartic term), so convergence is slow.",
    )


# ------------------------------------------------------------------------------------ HS27


def hs27() -> ClassicalProblem:
    """min 0.01 (x1 - 1)^2 + (x2 - x1^2)^2  s.t.  x1 + x3^2 + 1 = 0."""

    def fun(x):
        return float(0.01 * (x[0] - 1.0) ** 2 + (x[1] - x[0] ** 2) ** 2)

    def grad(x):
        r = x[1] - x[0] ** 2
        return np.array([0.02 * (x[0] - 1.0) - 4.0 * x[0] * r, 2.0 * r, 0.0])

    def hess(x):
        return np.array([
            [0.02 - 4.0 * x[1] + 12.0 * x[0] ** 2, -4.0 * x[0], 0.0],
            [-4.0 * x[0], 2.0, 0.0],
            [0.0, 0.0, 0.0],
        ])

    def cons(x):
        return np.array([x[0] + x[2] ** 2 + 1.0])

    def jac(x):
        return np.array([[1.0, 0.0, 2.0 * x[2]]])

    def cons_hess(x, y):
        return np.diag([0.0, 0.0, 2.0 * y[0]])

    return ClassicalProblem(
        name="HS27", source=_source(27), x0=[2.0, 2.0, 2.0], m=1,
        fun=fun, grad=grad, hess=hess, cons=cons, jac=jac, cons_hess=cons_hess,
        f_opt=0.04, x_opt=[-1.0, 1.0, 0.0],
    )


# ------------------------------------------------------------------------------------ HS28


def hs28() -> ClassicalProblem:
    """min (x1 + x2)^2 + (x2 + x3)^2  s.t.  x1 + 2 x2 + 3 x3 - 1 = 0."""
    objective = AffinePowerSum(3, [(1.0, {0: 1.0, 1: 1.0}, 0.0, 2), (1.0, {1: 1.0, 2: 1.0}, 0.0, 2)])
    return _problem(
        "HS28", objective, LinearConstraints([[1.0, 2.0, 3.0]], [1.0]), source=_source(28),
        x0=[-4.0, 1.0, 1.0], m=1, f_opt=0.0, x_opt=[0.5, -0.5, 0.5],
    )


# ------------------------------------------------------------------------------------ HS39


class _HS39Constraints:
    """x2 - x1^3 - x3^2 = 0,  x1^2 - x2 - x4^2 = 0 (also BT9)."""

    def cons(self, x):
        return np.array([x[1] - x[0] ** 3 - x[2] ** 2, x[0] ** 2 - x[1] - x[3] ** 2])

    def jac(self, x):
        return np.array([
            [-3.0 * x[0] ** 2, 1.0, -2.0 * x[2], 0.0],
            [2.0 * x[0], -1.0, 0.0, -2.0 * x[3]],
        ])

    def cons_hess(self, x, y):
        return np.diag([-6.0 * x[0] * y[0] + 2.0 * y[1], 0.0, -2.0 * y[0], -2.0 * y[1]])


def hs39_statement(name: str, source: str, note: str = "") -> ClassicalProblem:
    """min -x1 s.t. the constraints of HS39, from x0 = (2, 2, 2, 2); shared with BT9."""
    objective = AffinePowerSum(4, [(-1.0, {0: 1.0}, 0.0, 1)])
    return _problem(
        name, objective, _HS39Constraints(), source=source, x0=[2.0, 2.0, 2.0, 2.0], m=2,
        f_opt=-1.0, x_opt=[1.0, 1.0, 0.0, 0.0], note=note,
    )


def hs39() -> ClassicalProblem:
    """min -x1  s.t.  x2 - x1^3 - x3^2 = 0,  x1^2 - x2 - x4^2 = 0."""
    return hs39_statement("HS39", _source(39))


# ------------------------------------------------------------------------------------ HS40


def hs40() -> ClassicalProblem:
    """min -x1 x2 x3 x4  s.t.  x1^3 + x2^2 - 1 = 0,  x1^2 x4 - x3 = 0,  x4^2 - x2 = 0."""

    def fun(x):
        return float(-np.prod(x))

    def grad(x):
        x1, x2, x3, x4 = x
        return -np.array([x2 * x3 * x4, x1 * x3 * x4, x1 * x2 * x4, x1 * x2 * x3])

    def hess(x):
        x1, x2, x3, x4 = x
        return -np.array([
            [0.0, x3 * x4, x2 * x4, x2 * x3],
            [x3 * x4, 0.0, x1 * x4, x1 * x3],
            [x2 * x4, x1 * x4, 0.0, x1 * x2],
            [x2 * x3, x1 * x3, x1 * x2, 0.0],
        ])

    def cons(x):
        x1, x2, x3, x4 = x
        return np.array([x1 ** 3 + x2 ** 2 - 1.0, x1 ** 2 * x4 - x3, x4 ** 2 - x2])

    def jac(x):
        x1, x2, x3, x4 = x
        return np.array([
            [3.0 * x1 ** 2, 2.0 * x2, 0.0, 0.0],
            [2.0 * x1 * x4, 0.0, -1.0, x1 ** 2],
            [0.0, -1.0, 0.0, 2.0 * x4],
        ])

    def cons_hess(x, y):
        x1, _, _, x4 = x
        h = np.zeros((4, 4))
        h[0, 0] = 6.0 * x1 * y[0] + 2.0 * x4 * y[1]
        h[1, 1] = 2.0 * y[0]
        h[0, 3] = h[3, 0] = 2.0 * x1 * y[1]
        h[3, 3] = 2.0 * y[2]
        return h

    return ClassicalProblem(
        name="HS40", source=_source(40), x0=[0.8, 0.8, 0.8, 0.8], m=3,
        fun=fun, grad=grad, hess=hess, cons=cons, jac=jac, cons_hess=cons_hess,
        f_opt=-0.25, x_opt=[2.0 ** (-1.0 / 3.0), 2.0 ** -0.5, 2.0 ** (-11.0 / 12.0), 2.0 ** -0.25],
    )


# ------------------------------------------------------------------------------------ HS42


class _HS42Constraints:
    """x1 - 2 = 0,  x3^2 + x4^2 - 2 = 0."""

    def cons(self, x):
        return np.array([x[0] - 2.0, x[2] ** 2 + x[3] ** 2 - 2.0])

    def jac(self, x):
        return np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 2.0 * x[2], 2.0 * x[3]]])

    def cons_hess(self, x, y):
        return np.diag([0.0, 0.0, 2.0 * y[1], 2.0 * y[1]])


def hs42() -> ClassicalProblem:
    """min sum_i (x_i - i)^2  s.t.  x1 - 2 = 0,  x3^2 + x4^2 - 2 = 0."""
    objective = AffinePowerSum(4, [(1.0, {i: 1.0}, i + 1.0, 2) for i in range(4)])
    return _problem(
        "HS42", objective, _HS42Constraints(), source=_source(42), x0=[1.0, 1.0, 1.0, 1.0], m=2,
        f_opt=28.0 - 10.0 * SQRT2, x_opt=[2.0, 2.0, 0.6 * SQRT2, 0.8 * SQRT2],
    )


# ------------------------------------------------------------------------------- HS46, HS77


class HS77Constraints:
    """x1^2 x4 + sin(x4 - x5) - r1 = 0,  x2 + x3^4 x4^2 - r2 = 0 (HS46 and HS77)."""

    def __init__(self, r1: float, r2: float) -> None:
        self.r1, self.r2 = r1, r2

    def cons(self, x):
        x1, x2, x3, x4, x5 = x
        return np.array([x1 ** 2 * x4 + np.sin(x4 - x5) - self.r1, x2 + x3 ** 4 * x4 ** 2 - self.r2])

    def jac(self, x):
        x1, _, x3, x4, x5 = x
        cos = np.cos(x4 - x5)
        return np.array([
            [2.0 * x1 * x4, 0.0, 0.0, x1 ** 2 + cos, -cos],
            [0.0, 1.0, 4.0 * x3 ** 3 * x4 ** 2, 2.0 * x3 ** 4 * x4, 0.0],
        ])

    def cons_hess(self, x, y):
        x1, _, x3, x4, x5 = x
        sin = np.sin(x4 - x5)
        h = np.zeros((5, 5))
        h[0, 0] = 2.0 * x4 * y[0]
        h[0, 3] = h[3, 0] = 2.0 * x1 * y[0]
        h[3, 3] = -sin * y[0] + 2.0 * x3 ** 4 * y[1]
        h[3, 4] = h[4, 3] = sin * y[0]
        h[4, 4] = -sin * y[0]
        h[2, 2] = 12.0 * x3 ** 2 * x4 ** 2 * y[1]
        h[2, 3] = h[3, 2] = 8.0 * x3 ** 3 * x4 * y[1]
        return h


def hs46() -> ClassicalProblem:
    """min (x1 - x2)^2 + (x3 - 1)^2 + (x4 - 1)^4 + (x5 - 1)^6
    s.t. x1^2 x4 + sin(x4 - x5) - 1 = 0,  x2 + x3^4 x4^2 - 2 = 0."""
    objective = AffinePowerSum(5, [
        (1.0, {0: 1.0, 1: -1.0}, 0.0, 2), (1.0, {2: 1.0}, 1.0, 2),
        (1.0, {3: 1.0}, 1.0, 4), (1.0, {4: 1.0}, 1.0, 6),
    ])
    return _problem(
        "HS46", objective, HS77Constraints(1.0, 2.0), source=_source(46),
        x0=[0.5 * SQRT2, 1.75, 0.5, 2.0, 2.0], m=2, f_opt=0.0, x_opt=[1.0] * 5,
        note="The Hessian of f is singular at x_opt (quartic and sixth-power terms).",
    )


def hs77_objective() -> AffinePowerSum:
    """(x1 - 1)^2 + (x1 - x2)^2 + (x3 - 1)^2 + (x4 - 1)^4 + (x5 - 1)^6 (HS77 and BT6)."""
    return AffinePowerSum(5, [
        (1.0, {0: 1.0}, 1.0, 2), (1.0, {0: 1.0, 1: -1.0}, 0.0, 2), (1.0, {2: 1.0}, 1.0, 2),
        (1.0, {3: 1.0}, 1.0, 4), (1.0, {4: 1.0}, 1.0, 6),
    ])


def hs77() -> ClassicalProblem:
    """min (x1 - 1)^2 + (x1 - x2)^2 + (x3 - 1)^2 + (x4 - 1)^4 + (x5 - 1)^6
    s.t. x1^2 x4 + sin(x4 - x5) - 2 sqrt(2) = 0,  x2 + x3^4 x4^2 - 8 - sqrt(2) = 0."""
    return _problem(
        "HS77", hs77_objective(), HS77Constraints(2.0 * SQRT2, 8.0 + SQRT2), source=_source(77),
        x0=[2.0] * 5, m=2, f_opt=0.24150513,
        x_opt=[1.166172, 1.182111, 1.380257, 1.506036, 0.6109203], x_opt_accuracy=5e-7,
    )


# ------------------------------------------------------------------------------------ HS47


class _HS47Constraints:
    """x1 + x2^2 + x3^3 - 3 = 0,  x2 - x3^2 + x4 - 1 = 0,  x1 x5 - 1 = 0."""

    def cons(self, x):
        x1, x2, x3, x4, x5 = x
        return np.array([x1 + x2 ** 2 + x3 ** 3 - 3.0, x2 - x3 ** 2 + x4 - 1.0, x1 * x5 - 1.0])

    def jac(self, x):
        x1, x2, x3, _, x5 = x
        return np.array([
            [1.0, 2.0 * x2, 3.0 * x3 ** 2, 0.0, 0.0],
            [0.0, 1.0, -2.0 * x3, 1.0, 0.0],
            [x5, 0.0, 0.0, 0.0, x1],
        ])

    def cons_hess(self, x, y):
        h = np.zeros((5, 5))
        h[1, 1] = 2.0 * y[0]
        h[2, 2] = 6.0 * x[2] * y[0] - 2.0 * y[1]
        h[0, 4] = h[4, 0] = y[2]
        return h


def hs47() -> ClassicalProblem:
    """min (x1 - x2)^2 + (x2 - x3)^3 + (x3 - x4)^4 + (x4 - x5)^4
    s.t. x1 + x2^2 + x3^3 - 3 = 0,  x2 - x3^2 + x4 - 1 = 0,  x1 x5 - 1 = 0."""
    objective = AffinePowerSum(5, [
        (1.0, {0: 1.0, 1: -1.0}, 0.0, 2), (1.0, {1: 1.0, 2: -1.0}, 0.0, 3),
        (1.0, {2: 1.0, 3: -1.0}, 0.0, 4), (1.0, {3: 1.0, 4: -1.0}, 0.0, 4),
    ])
    return _problem(
        "HS47", objective, _HS47Constraints(), source=_source(47),
        x0=[2.0, SQRT2, -1.0, 2.0 - SQRT2, 0.5], m=3, f_opt=0.0, x_opt=[1.0] * 5,
    )


# ------------------------------------------------------------------------------ HS48 - HS52


def hs48() -> ClassicalProblem:
    """min (x1 - 1)^2 + (x2 - x3)^2 + (x4 - x5)^2
    s.t. x1 + x2 + x3 + x4 + x5 - 5 = 0,  x3 - 2 (x4 + x5) + 3 = 0."""
    objective = AffinePowerSum(5, [
        (1.0, {0: 1.0}, 1.0, 2), (1.0, {1: 1.0, 2: -1.0}, 0.0, 2), (1.0, {3: 1.0, 4: -1.0}, 0.0, 2),
    ])
    constraints = LinearConstraints([[1.0, 1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 1.0, -2.0, -2.0]], [5.0, -3.0])
    return _problem(
        "HS48", objective, constraints, source=_source(48), x0=[3.0, 5.0, -3.0, 2.0, -2.0], m=2,
        f_opt=0.0, x_opt=[1.0] * 5,
    )


def hs49() -> ClassicalProblem:
    """min (x1 - x2)^2 + (x3 - 1)^2 + (x4 - 1)^4 + (x5 - 1)^6
    s.t. x1 + x2 + x3 + 4 x4 - 7 = 0,  x3 + 5 x5 - 6 = 0."""
    objective = AffinePowerSum(5, [
        (1.0, {0: 1.0, 1: -1.0}, 0.0, 2), (1.0, {2: 1.0}, 1.0, 2),
        (1.0, {3: 1.0}, 1.0, 4), (1.0, {4: 1.0}, 1.0, 6),
    ])
    constraints = LinearConstraints([[1.0, 1.0, 1.0, 4.0, 0.0], [0.0, 0.0, 1.0, 0.0, 5.0]], [7.0, 6.0])
    return _problem(
        "HS49", objective, constraints, source=_source(49), x0=[10.0, 7.0, 2.0, -3.0, 0.8], m=2,
        f_opt=0.0, x_opt=[1.0] * 5,
        note="The Hessian of f is singular at x_opt (quartic and sixth-power terms).",
    )


def hs50() -> ClassicalProblem:
    """min (x1 - x2)^2 + (x2 - x3)^2 + (x3 - x4)^4 + (x4 - x5)^2
    s.t. x1 + 2 x2 + 3 x3 - 6 = 0,  x2 + 2 x3 + 3 x4 - 6 = 0,  x3 + 2 x4 + 3 x5 - 6 = 0."""
    objective = AffinePowerSum(5, [
        (1.0, {0: 1.0, 1: -1.0}, 0.0, 2), (1.0, {1: 1.0, 2: -1.0}, 0.0, 2),
        (1.0, {2: 1.0, 3: -1.0}, 0.0, 4), (1.0, {3: 1.0, 4: -1.0}, 0.0, 2),
    ])
    constraints = LinearConstraints(
        [[1.0, 2.0, 3.0, 0.0, 0.0], [0.0, 1.0, 2.0, 3.0, 0.0], [0.0, 0.0, 1.0, 2.0, 3.0]], [6.0, 6.0, 6.0],
    )
    return _problem(
        "HS50", objective, constraints, source=_source(50), x0=[35.0, -31.0, 11.0, 5.0, -5.0], m=3,
        f_opt=0.0, x_opt=[1.0] * 5,
    )


def hs51_constraints(rhs: float) -> LinearConstraints:
    """x1 + 3 x2 - rhs = 0,  x3 + x4 - 2 x5 = 0,  x2 - x5 = 0 (HS51 with rhs 4; HS52, BT3 with 0)."""
    return LinearConstraints(
        [[1.0, 3.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0, -2.0], [0.0, 1.0, 0.0, 0.0, -1.0]], [rhs, 0.0, 0.0],
    )


def hs51_objective(first_weight: float) -> AffinePowerSum:
    """(a x1 - x2)^2 + (x2 + x3 - 2)^2 + (x4 - 1)^2 + (x5 - 1)^2 (HS51, BT3: a = 1; HS52: a = 4)."""
    return AffinePowerSum(5, [
        (1.0, {0: first_weight, 1: -1.0}, 0.0, 2), (1.0, {1: 1.0, 2: 1.0}, 2.0, 2),
        (1.0, {3: 1.0}, 1.0, 2), (1.0, {4: 1.0}, 1.0, 2),
    ])


def hs51() -> ClassicalProblem:
    """min (x1 - x2)^2 + (x2 + x3 - 2)^2 + (x4 - 1)^2 + (x5 - 1)^2
    s.t. x1 + 3 x2 - 4 = 0,  x3 + x4 - 2 x5 = 0,  x2 - x5 = 0."""
    return _problem(
        "HS51", hs51_objective(1.0), hs51_constraints(4.0), source=_source(51),
        x0=[2.5, 0.5, 2.0, -1.0, 0.5], m=3, f_opt=0.0, x_opt=[1.0] * 5,
    )


def hs52() -> ClassicalProblem:
    """min (4 x1 - x2)^2 + (x2 + x3 - 2)^2 + (x4 - 1)^2 + (x5 - 1)^2
    s.t. x1 + 3 x2 = 0,  x3 + x4 - 2 x5 = 0,  x2 - x5 = 0."""
    return _problem(
        "HS52", hs51_objective(4.0), hs51_constraints(0.0), source=_source(52), x0=[2.0] * 5, m=3,
        f_opt=1859.0 / 349.0, x_opt=np.array([-33.0, 11.0, 180.0, -158.0, 11.0]) / 349.0,
    )


# ------------------------------------------------------------------------------------ HS56


def hs56() -> ClassicalProblem:
    """min -x1 x2 x3  s.t.  x1 - 4.2 sin^2 x4 = 0,  x2 - 4.2 sin^2 x5 = 0,  x3 - 4.2 sin^2 x6 = 0,
    x1 + 2 x2 + 2 x3 - 7.2 sin^2 x7 = 0."""

    def fun(x):
        return float(-x[0] * x[1] * x[2])

    def grad(x):
        g = np.zeros(7)
        g[:3] = -np.array([x[1] * x[2], x[0] * x[2], x[0] * x[1]])
        return g

    def hess(x):
        h = np.zeros((7, 7))
        h[0, 1] = h[1, 0] = -x[2]
        h[0, 2] = h[2, 0] = -x[1]
        h[1, 2] = h[2, 1] = -x[0]
        return h

    # d/dt sin^2 t = sin 2t and d^2/dt^2 sin^2 t = 2 cos 2t.
    scales = np.array([4.2, 4.2, 4.2, 7.2])

    def cons(x):
        return np.array([x[0], x[1], x[2], x[0] + 2.0 * x[1] + 2.0 * x[2]]) - scales * np.sin(x[3:]) ** 2

    def jac(x):
        j = np.zeros((4, 7))
        j[:3, :3] = np.eye(3)
        j[3, :3] = [1.0, 2.0, 2.0]
        j[:, 3:] = np.diag(-scales * np.sin(2.0 * x[3:]))
        return j

    def cons_hess(x, y):
        h = np.zeros((7, 7))
        h[3:, 3:] = np.diag(-2.0 * scales * np.cos(2.0 * x[3:]) * y)
        return h

    a = np.arcsin(np.sqrt(1.0 / 4.2))
    b = np.arcsin(np.sqrt(5.0 / 7.2))
    return ClassicalProblem(
        name="HS56", source=_source(56), x0=[1.0, 1.0, 1.0, a, a, a, b], m=4,
        fun=fun, grad=grad, hess=hess, cons=cons, jac=jac, cons_hess=cons_hess, f_opt=-3.456,
        x_opt=[2.4, 1.2, 1.2, np.arcsin(np.sqrt(4.0 / 7.0)), np.arcsin(np.sqrt(2.0 / 7.0)),
               np.arcsin(np.sqrt(2.0 / 7.0)), 0.5 * np.pi],
        note="The sin^2 terms make the solution set periodic in x4..x7.",
    )


# ------------------------------------------------------------------------------------ HS61


def hs61() -> ClassicalProblem:
    """min 4 x1^2 + 2 x2^2 + 2 x3^2 - 33 x1 + 16 x2 - 24 x3
    s.t. 3 x1 - 2 x2^2 - 7 = 0,  4 x1 - x3^2 - 11 = 0."""
    objective = AffinePowerSum(3, [
        (4.0, {0: 1.0}, 0.0, 2), (2.0, {1: 1.0}, 0.0, 2), (2.0, {2: 1.0}, 0.0, 2),
        (-33.0, {0: 1.0}, 0.0, 1), (16.0, {1: 1.0}, 0.0, 1), (-24.0, {2: 1.0}, 0.0, 1),
    ])

    def cons(x):
        return np.array([3.0 * x[0] - 2.0 * x[1] ** 2 - 7.0, 4.0 * x[0] - x[2] ** 2 - 11.0])

    def jac(x):
        return np.array([[3.0, -4.0 * x[1], 0.0], [4.0, 0.0, -2.0 * x[2]]])

    def cons_hess(x, y):
        return np.diag([0.0, -4.0 * y[0], -2.0 * y[1]])

    return ClassicalProblem(
        name="HS61", source=_source(61), x0=[0.0, 0.0, 0.0], m=2,
        fun=objective.fun, grad=objective.grad, hess=objective.hess,
        cons=cons, jac=jac, cons_hess=cons_hess, f_opt=-143.6461422,
        x_opt=[5.32677016, -2.11899864, 3.21046424], x_opt_accuracy=5e-8,
        note="At x0 = 0 the Jacobian has rank 1 and the linearized constraints are "
             "inconsistent, so a plain SQP step does not exist there.",
    )


# ------------------------------------------------------------------------------------ HS78


def hs78() -> ClassicalProblem:
    """min x1 x2 x3 x4 x5  s.t.  sum x_i^2 - 10 = 0,  x2 x3 - 5 x4 x5 = 0,  x1^3 + x2^3 + 1 = 0."""

    def fun(x):
        return float(np.prod(x))

    def grad(x):
        return np.array([np.prod(np.delete(x, i)) for i in range(5)])

    def hess(x):
        h = np.zeros((5, 5))
        for i in range(5):
            for j in range(i + 1, 5):
                h[i, j] = h[j, i] = np.prod(np.delete(x, [i, j]))
        return h

    def cons(x):
        x1, x2, x3, x4, x5 = x
        return np.array([x @ x - 10.0, x2 * x3 - 5.0 * x4 * x5, x1 ** 3 + x2 ** 3 + 1.0])

    def jac(x):
        x1, x2, x3, x4, x5 = x
        return np.array([
            2.0 * x,
            [0.0, x3, x2, -5.0 * x5, -5.0 * x4],
            [3.0 * x1 ** 2, 3.0 * x2 ** 2, 0.0, 0.0, 0.0],
        ])

    def cons_hess(x, y):
        h = 2.0 * y[0] * np.eye(5)
        h[1, 2] = h[2, 1] = y[1]
        h[3, 4] = h[4, 3] = -5.0 * y[1]
        h[0, 0] += 6.0 * x[0] * y[2]
        h[1, 1] += 6.0 * x[1] * y[2]
        return h

    return ClassicalProblem(
        name="HS78", source=_source(78), x0=[-2.0, 1.5, 2.0, -1.0, -1.0], m=3,
        fun=fun, grad=grad, hess=hess, cons=cons, jac=jac, cons_hess=cons_hess,
        f_opt=-2.91970041, x_opt=[-1.717142, 1.595708, 1.827248, -0.7636429, -0.7636435],
        x_opt_accuracy=5e-6,
        note="The published x_opt is accurate to about 3e-6 (at the exact solution x4 = x5).",
    )


# ------------------------------------------------------------------------------------ HS79


class HS79Constraints:
    """x1 + x2^2 + x3^3 - r1 = 0,  x2 - x3^2 + x4 - r2 = 0,  and a third constraint ``third``:
    ``"product"``: x1 x5 - 2 = 0 (HS79);  ``"difference"``: x1 - x5 - 2 = 0 (BT11)."""

    def __init__(self, r1: float, r2: float, third: str) -> None:
        if third not in ("product", "difference"):
            raise ValueError(f"unknown third constraint {third!r}")
        self.r1, self.r2, self.third = r1, r2, third

    def cons(self, x):
        x1, x2, x3, x4, x5 = x
        last = x1 * x5 - 2.0 if self.third == "product" else x1 - x5 - 2.0
        return np.array([x1 + x2 ** 2 + x3 ** 3 - self.r1, x2 - x3 ** 2 + x4 - self.r2, last])

    def jac(self, x):
        x1, x2, x3, _, x5 = x
        last = [x5, 0.0, 0.0, 0.0, x1] if self.third == "product" else [1.0, 0.0, 0.0, 0.0, -1.0]
        return np.array([
            [1.0, 2.0 * x2, 3.0 * x3 ** 2, 0.0, 0.0],
            [0.0, 1.0, -2.0 * x3, 1.0, 0.0],
            last,
        ])

    def cons_hess(self, x, y):
        h = np.zeros((5, 5))
        h[1, 1] = 2.0 * y[0]
        h[2, 2] = 6.0 * x[2] * y[0] - 2.0 * y[1]
        if self.third == "product":
            h[0, 4] = h[4, 0] = y[2]
        return h


def hs79_objective() -> AffinePowerSum:
    """(x1 - 1)^2 + (x1 - x2)^2 + (x2 - x3)^2 + (x3 - x4)^4 + (x4 - x5)^4 (HS79 and BT11)."""
    return AffinePowerSum(5, [
        (1.0, {0: 1.0}, 1.0, 2), (1.0, {0: 1.0, 1: -1.0}, 0.0, 2), (1.0, {1: 1.0, 2: -1.0}, 0.0, 2),
        (1.0, {2: 1.0, 3: -1.0}, 0.0, 4), (1.0, {3: 1.0, 4: -1.0}, 0.0, 4),
    ])


def hs79() -> ClassicalProblem:
    """min (x1 - 1)^2 + (x1 - x2)^2 + (x2 - x3)^2 + (x3 - x4)^4 + (x4 - x5)^4
    s.t. x1 + x2^2 + x3^3 - 2 - 3 sqrt(2) = 0,  x2 - x3^2 + x4 + 2 - 2 sqrt(2) = 0,  x1 x5 - 2 = 0."""
    constraints = HS79Constraints(2.0 + 3.0 * SQRT2, 2.0 * SQRT2 - 2.0, "product")
    return _problem(
        "HS79", hs79_objective(), constraints, source=_source(79), x0=[2.0] * 5, m=3,
        f_opt=0.0787768209, x_opt=[1.191127, 1.362603, 1.472818, 1.635017, 1.679081],
        x_opt_accuracy=5e-7,
    )


# ------------------------------------------------------------------------------- HS100LNP


def hs100lnp() -> ClassicalProblem:
    """min (x1 - 10)^2 + 5 (x2 - 12)^2 + x3^4 + 3 (x4 - 11)^2 + 10 x5^6 + 7 x6^2 + x7^4
           - 4 x6 x7 - 10 x6 - 8 x7
    s.t. 127 - 2 x1^2 - 3 x2^4 - x3 - 4 x4^2 - 5 x5 = 0,
         -4 x1^2 - x2^2 + 3 x1 x2 - 2 x3^2 - 5 x6 + 11 x7 = 0."""
    separable = AffinePowerSum(7, [
        (1.0, {0: 1.0}, 10.0, 2), (5.0, {1: 1.0}, 12.0, 2), (1.0, {2: 1.0}, 0.0, 4),
        (3.0, {3: 1.0}, 11.0, 2), (10.0, {4: 1.0}, 0.0, 6), (7.0, {5: 1.0}, 0.0, 2),
        (1.0, {6: 1.0}, 0.0, 4), (-10.0, {5: 1.0}, 0.0, 1), (-8.0, {6: 1.0}, 0.0, 1),
    ])

    def fun(x):
        return separable.fun(x) - 4.0 * x[5] * x[6]

    def grad(x):
        g = separable.grad(x)
        g[5] -= 4.0 * x[6]
        g[6] -= 4.0 * x[5]
        return g

    def hess(x):
        h = separable.hess(x)
        h[5, 6] -= 4.0
        h[6, 5] -= 4.0
        return h

    def cons(x):
        x1, x2, x3, x4, x5, x6, x7 = x
        return np.array([
            127.0 - 2.0 * x1 ** 2 - 3.0 * x2 ** 4 - x3 - 4.0 * x4 ** 2 - 5.0 * x5,
            -4.0 * x1 ** 2 - x2 ** 2 + 3.0 * x1 * x2 - 2.0 * x3 ** 2 - 5.0 * x6 + 11.0 * x7,
        ])

    def jac(x):
        x1, x2, x3, x4, _, _, _ = x
        return np.array([
            [-4.0 * x1, -12.0 * x2 ** 3, -1.0, -8.0 * x4, -5.0, 0.0, 0.0],
            [-8.0 * x1 + 3.0 * x2, -2.0 * x2 + 3.0 * x1, -4.0 * x3, 0.0, 0.0, -5.0, 11.0],
        ])

    def cons_hess(x, y):
        h = np.zeros((7, 7))
        h[0, 0] = -4.0 * y[0] - 8.0 * y[1]
        h[1, 1] = -36.0 * x[1] ** 2 * y[0] - 2.0 * y[1]
        h[0, 1] = h[1, 0] = 3.0 * y[1]
        h[2, 2] = -4.0 * y[1]
        h[3, 3] = -8.0 * y[0]
        return h

    return ClassicalProblem(
        name="HS100LNP", source=_source("100") + " (CUTEst variant HS100LNP: the two constraints "
        "active at the solution as equalities, the inactive ones removed)",
        x0=[1.0, 2.0, 0.0, 4.0, 0.0, 1.0, 1.0], m=2,
        fun=fun, grad=grad, hess=hess, cons=cons, jac=jac, cons_hess=cons_hess, f_opt=680.6300573,
        x_opt=[2.330499, 1.951372, -0.4775414, 4.365726, -0.6244870, 1.038131, 1.594227],
        x_opt_accuracy=5e-7,
    )


BUILDERS = (
    hs6, hs7, hs8, hs9, hs26, hs27, hs28, hs39, hs40, hs42, hs46, hs47, hs48, hs49, hs50, hs51,
    hs52, hs56, hs61, hs77, hs78, hs79, hs100lnp,
)
