"""The Boggs-Tolle problems BT1-BT12 and the Maratos example.

The BT problems are those of P. T. Boggs and J. W. Tolle, "A strategy for global convergence in a
sequential quadratic programming algorithm", SIAM J. Numer. Anal. 26(3):600-623, 1989, in the
form of their CUTEst versions, which correct three misprints of the paper (BT4, BT5, BT9/BT10:
see each ``note``).  The optimal values are those published with the problems.  ``x_opt`` is
given where the KKT conditions yield it in closed form or where the problem coincides with a
Hock-Schittkowski problem, and is None elsewhere.  Variables are indexed from 0 in the code
(``x[0]`` is the paper's ``x1``).
"""

from __future__ import annotations

import numpy as np

from .classical import AffinePowerSum, ClassicalProblem
from .classical_hs import (
    SQRT2,
    HS79Constraints,
    hs39_statement,
    hs51_constraints,
    hs51_objective,
    hs77_objective,
    hs79_objective,
)


def _source(number: int) -> str:
    return (f"Boggs & Tolle (1989), A strategy for global convergence in a sequential quadratic "
            f"programming algorithm, SIAM J. Numer. Anal. 26(3):600-623, problem {number} "
            f"(CUTEst BT{number})")


# ------------------------------------------------------------------------------------- BT1


def bt1() -> ClassicalProblem:
    """min 100 x1^2 + 100 x2^2 - x1 - 100  s.t.  x1^2 + x2^2 - 1 = 0."""

    def fun(x):
        return float(100.0 * (x[0] ** 2 + x[1] ** 2) - x[0] - 100.0)

    def grad(x):
        return np.array([200.0 * x[0] - 1.0, 200.0 * x[1]])

    def hess(x):
        return 200.0 * np.eye(2)

    def cons(x):
        return np.array([x[0] ** 2 + x[1] ** 2 - 1.0])

    def jac(x):
        return np.array([[2.0 * x[0], 2.0 * x[1]]])

    def cons_hess(x, y):
        return 2.0 * y[0] * np.eye(2)

    return ClassicalProblem(
        name="BT1", source=_source(1), x0=[0.08, 0.06], m=1,
        fun=fun, grad=grad, hess=hess, cons=cons, jac=jac, cons_hess=cons_hess,
        f_opt=-1.0, x_opt=[1.0, 0.0],
        note="On the circle f = -x1, so x_opt = (1, 0); x0 is far inside the circle, where the "
             "large quadratic term pulls a method towards the origin.",
    )


# ------------------------------------------------------------------------------------- BT2


def bt2() -> ClassicalProblem:
    """min (x1 - 1)^2 + (x1 - x2)^2 + (x2 - x3)^4  s.t.  x1 (1 + x2^2) + x3^4 - 4 - 3 sqrt(2) = 0."""
    objective = AffinePowerSum(3, [
        (1.0, {0: 1.0}, 1.0, 2), (1.0, {0: 1.0, 1: -1.0}, 0.0, 2), (1.0, {1: 1.0, 2: -1.0}, 0.0, 4),
    ])
    rhs = 4.0 + 3.0 * SQRT2

    def cons(x):
        return np.array([x[0] * (1.0 + x[1] ** 2) + x[2] ** 4 - rhs])

    def jac(x):
        return np.array([[1.0 + x[1] ** 2, 2.0 * x[0] * x[1], 4.0 * x[2] ** 3]])

    def cons_hess(x, y):
        return y[0] * np.array([
            [0.0, 2.0 * x[1], 0.0],
            [2.0 * x[1], 2.0 * x[0], 0.0],
            [0.0, 0.0, 12.0 * x[2] ** 2],
        ])

    return ClassicalProblem(
        name="BT2", source=_source(2), x0=[10.0, 10.0, 10.0], m=1,
        fun=objective.fun, grad=objective.grad, hess=objective.hess,
        cons=cons, jac=jac, cons_hess=cons_hess, f_opt=0.032568200,
    )


# ------------------------------------------------------------------------------------- BT3


def bt3() -> ClassicalProblem:
    """min (x1 - x2)^2 + (x2 + x3 - 2)^2 + (x4 - 1)^2 + (x5 - 1)^2
    s.t. x1 + 3 x2 = 0,  x3 + x4 - 2 x5 = 0,  x2 - x5 = 0 (a convex quadratic program)."""
    constraints = hs51_constraints(0.0)
    objective = hs51_objective(1.0)
    return ClassicalProblem(
        name="BT3", source=_source(3), x0=[20.0] * 5, m=3,
        fun=objective.fun, grad=objective.grad, hess=objective.hess,
        cons=constraints.cons, jac=constraints.jac, cons_hess=constraints.cons_hess,
        f_opt=4.09301056, x_opt=np.array([-33.0, 11.0, 27.0, -5.0, 11.0]) / 43.0,
        note="x_opt solves the (linear) KKT system exactly; there f = 176/43 = 4.0930233, which "
             "the published value 4.09301056 matches to 3e-6 relative.",
    )


# ------------------------------------------------------------------------------------- BT4


def bt4() -> ClassicalProblem:
    """min x1 - x2 + x2^3  s.t.  x1^2 + x2^2 + x3^2 - 25 = 0,  x1 + x2 + x3 - 1 = 0."""

    def fun(x):
        return float(x[0] - x[1] + x[1] ** 3)

    def grad(x):
        return np.array([1.0, 3.0 * x[1] ** 2 - 1.0, 0.0])

    def hess(x):
        return np.diag([0.0, 6.0 * x[1], 0.0])

    def cons(x):
        return np.array([x @ x - 25.0, x[0] + x[1] + x[2] - 1.0])

    def jac(x):
        return np.array([2.0 * x, [1.0, 1.0, 1.0]])

    def cons_hess(x, y):
        return 2.0 * y[0] * np.eye(3)

    return ClassicalProblem(
        name="BT4", source=_source(4), x0=[4.0382, -2.9470, -0.09115], m=2,
        fun=fun, grad=grad, hess=hess, cons=cons, jac=jac, cons_hess=cons_hess,
        f_opt=-45.510551,
        note="CUTEst variant: the paper's statement (x3 cubed in the first constraint) is "
             "unbounded, so x3 is squared.  CUTEst records two optimal values, 3.28903771 (a "
             "local minimum) and -45.510551 (the global minimum, used here).",
    )


# ------------------------------------------------------------------------------------- BT5


def bt5() -> ClassicalProblem:
    """min 1000 - x1^2 - 2 x2^2 - x3^2 - x1 x2 - x1 x3
    s.t. x1^2 + x2^2 + x3^2 - 25 = 0,  8 x1 + 14 x2 + 7 x3 - 56 = 0."""
    quadratic = -np.array([[2.0, 1.0, 1.0], [1.0, 4.0, 0.0], [1.0, 0.0, 2.0]])

    def fun(x):
        return float(1000.0 + 0.5 * x @ quadratic @ x)

    def grad(x):
        return quadratic @ x

    def hess(x):
        return quadratic.copy()

    def cons(x):
        return np.array([x @ x - 25.0, 8.0 * x[0] + 14.0 * x[1] + 7.0 * x[2] - 56.0])

    def jac(x):
        return np.array([2.0 * x, [8.0, 14.0, 7.0]])

    def cons_hess(x, y):
        return 2.0 * y[0] * np.eye(3)

    return ClassicalProblem(
        name="BT5", source=_source(5), x0=[2.0, 2.0, 2.0], m=2,
        fun=fun, grad=grad, hess=hess, cons=cons, jac=jac, cons_hess=cons_hess,
        f_opt=961.71517219, x_opt=[3.512118414, 0.2169881741, 3.552174034], x_opt_accuracy=5e-6,
        note="CUTEst corrects a misprinted sign of x3^2 in the first constraint of the paper; the "
             "problem is then Hock & Schittkowski problem 63 without its inactive bounds, and "
             "x_opt is the solution published for HS63, accurate to about 3e-6 despite its ten "
             "digits.",
    )


# ------------------------------------------------------------------------------------- BT6


class _BT6Constraints:
    """x1^2 x4 + sin(x4 - x5) - 2 sqrt(2) = 0,  x2 + x3^4 x2^2 - 8 - sqrt(2) = 0."""

    def cons(self, x):
        x1, x2, x3, x4, x5 = x
        return np.array([
            x1 ** 2 * x4 + np.sin(x4 - x5) - 2.0 * SQRT2,
            x2 + x3 ** 4 * x2 ** 2 - 8.0 - SQRT2,
        ])

    def jac(self, x):
        x1, x2, x3, x4, x5 = x
        cos = np.cos(x4 - x5)
        return np.array([
            [2.0 * x1 * x4, 0.0, 0.0, x1 ** 2 + cos, -cos],
            [0.0, 1.0 + 2.0 * x3 ** 4 * x2, 4.0 * x3 ** 3 * x2 ** 2, 0.0, 0.0],
        ])

    def cons_hess(self, x, y):
        x1, x2, x3, x4, x5 = x
        sin = np.sin(x4 - x5)
        h = np.zeros((5, 5))
        h[0, 0] = 2.0 * x4 * y[0]
        h[0, 3] = h[3, 0] = 2.0 * x1 * y[0]
        h[3, 3] = -sin * y[0]
        h[3, 4] = h[4, 3] = sin * y[0]
        h[4, 4] = -sin * y[0]
        h[1, 1] = 2.0 * x3 ** 4 * y[1]
        h[1, 2] = h[2, 1] = 8.0 * x3 ** 3 * x2 * y[1]
        h[2, 2] = 12.0 * x3 ** 2 * x2 ** 2 * y[1]
        return h


def bt6() -> ClassicalProblem:
    """min (x1 - 1)^2 + (x1 - x2)^2 + (x3 - 1)^2 + (x4 - 1)^4 + (x5 - 1)^6
    s.t. x1^2 x4 + sin(x4 - x5) - 2 sqrt(2) = 0,  x2 + x3^4 x2^2 - 8 - sqrt(2) = 0."""
    objective = hs77_objective()
    constraints = _BT6Constraints()
    return ClassicalProblem(
        name="BT6", source=_source(6), x0=[2.0] * 5, m=2,
        fun=objective.fun, grad=objective.grad, hess=objective.hess,
        cons=constraints.cons, jac=constraints.jac, cons_hess=constraints.cons_hess,
        f_opt=0.277044924,
        note="HS77 except for the second constraint, where x2^2 replaces x4^2.",
    )


# ------------------------------------------------------------------------------------- BT7


def bt7() -> ClassicalProblem:
    """min 100 (x2 - x1^2)^2 + (x1 - 1)^2
    s.t. x1 x2 - x3^2 - 1 = 0,  x2^2 - x4^2 + x1 = 0,  x5^2 + x1 - 0.5 = 0."""

    def fun(x):
        return float(100.0 * (x[1] - x[0] ** 2) ** 2 + (x[0] - 1.0) ** 2)

    def grad(x):
        r = x[1] - x[0] ** 2
        g = np.zeros(5)
        g[0] = -400.0 * x[0] * r + 2.0 * (x[0] - 1.0)
        g[1] = 200.0 * r
        return g

    def hess(x):
        h = np.zeros((5, 5))
        h[0, 0] = 1200.0 * x[0] ** 2 - 400.0 * x[1] + 2.0
        h[0, 1] = h[1, 0] = -400.0 * x[0]
        h[1, 1] = 200.0
        return h

    def cons(x):
        x1, x2, x3, x4, x5 = x
        return np.array([x1 * x2 - x3 ** 2 - 1.0, x2 ** 2 - x4 ** 2 + x1, x5 ** 2 + x1 - 0.5])

    def jac(x):
        x1, x2, x3, x4, x5 = x
        return np.array([
            [x2, x1, -2.0 * x3, 0.0, 0.0],
            [1.0, 2.0 * x2, 0.0, -2.0 * x4, 0.0],
            [1.0, 0.0, 0.0, 0.0, 2.0 * x5],
        ])

    def cons_hess(x, y):
        h = np.diag([0.0, 2.0 * y[1], -2.0 * y[0], -2.0 * y[1], 2.0 * y[2]])
        h[0, 1] = h[1, 0] = y[0]
        return h

    # As inequalities: x1 x2 >= 1, x2^2 + x1 >= 0, x1 <= 1/2.  For 0 < x1 <= 1/2 the objective
    # is smallest at x2 = 1/x1, and 100 (1/t - t^2)^2 + (t - 1)^2 decreases on (0, 1/2]; for
    # x1 < 0 it exceeds 100 min_s (1/s + s^2)^2 > 357.  Hence the minimum 306.5 at x1 = 1/2.
    return ClassicalProblem(
        name="BT7", source=_source(7), x0=[-2.0, 1.0, 1.0, 1.0, 1.0], m=3,
        fun=fun, grad=grad, hess=hess, cons=cons, jac=jac, cons_hess=cons_hess,
        f_opt=306.5, x_opt=[0.5, 2.0, 0.0, np.sqrt(4.5), 0.0],
        note="The published optimal value 306.49640688 lies below the minimum 306.5, which the "
             "KKT conditions give in closed form (x_opt; the sign of x4 follows x0); f_opt is "
             "306.5.  There is another local minimum, f = 360.3798, with x1 < 0.",
    )


# ------------------------------------------------------------------------------------- BT8


def bt8() -> ClassicalProblem:
    """min x1^2 + x2^2 + x3^2  s.t.  x1 - 1 - x4^2 + x2^2 = 0,  x1^2 + x2^2 - 1 - x5^2 = 0."""
    objective = AffinePowerSum(5, [(1.0, {i: 1.0}, 0.0, 2) for i in range(3)])

    def cons(x):
        x1, x2, _, x4, x5 = x
        return np.array([x1 - 1.0 - x4 ** 2 + x2 ** 2, x1 ** 2 + x2 ** 2 - 1.0 - x5 ** 2])

    def jac(x):
        x1, x2, _, x4, x5 = x
        return np.array([
            [1.0, 2.0 * x2, 0.0, -2.0 * x4, 0.0],
            [2.0 * x1, 2.0 * x2, 0.0, 0.0, -2.0 * x5],
        ])

    def cons_hess(x, y):
        return np.diag([2.0 * y[1], 2.0 * (y[0] + y[1]), 0.0, -2.0 * y[0], -2.0 * y[1]])

    return ClassicalProblem(
        name="BT8", source=_source(8), x0=[1.0, 1.0, 1.0, 0.0, 0.0], m=2,
        fun=objective.fun, grad=objective.grad, hess=objective.hess,
        cons=cons, jac=jac, cons_hess=cons_hess, f_opt=1.0, x_opt=[1.0, 0.0, 0.0, 0.0, 0.0],
        note="The minimizers form a curve: x1 in [0, 1], x2^2 = 1 - x1^2, x4^2 = x1 - x1^2, "
             "x3 = x5 = 0, all with f = 1.  The Jacobian is rank deficient at x_opt = e1 "
             "(multipliers not unique); elsewhere on the curve it has full rank.",
    )


# ------------------------------------------------------------------------------------ BT9, BT10


def bt9() -> ClassicalProblem:
    """min -x1  s.t.  x2 - x1^3 - x3^2 = 0,  x1^2 - x2 - x4^2 = 0 (the same as HS39)."""
    return hs39_statement(
        "BT9", _source(9),
        note="CUTEst corrects the sign of x2 in the second constraint; the problem is then "
             "Hock & Schittkowski problem 39, whose published solution x_opt is.",
    )


def bt10() -> ClassicalProblem:
    """min -x1  s.t.  x2 - x1^3 = 0,  x1^2 - x2 = 0."""

    def cons(x):
        return np.array([x[1] - x[0] ** 3, x[0] ** 2 - x[1]])

    def jac(x):
        return np.array([[-3.0 * x[0] ** 2, 1.0], [2.0 * x[0], -1.0]])

    def cons_hess(x, y):
        return np.array([[-6.0 * x[0] * y[0] + 2.0 * y[1], 0.0], [0.0, 0.0]])

    return ClassicalProblem(
        name="BT10", source=_source(10), x0=[2.0, 2.0], m=2,
        fun=lambda x: float(-x[0]), grad=lambda x: np.array([-1.0, 0.0]), hess=lambda x: np.zeros((2, 2)),
        cons=cons, jac=jac, cons_hess=cons_hess, f_opt=-1.0, x_opt=[1.0, 1.0],
        note="The feasible set is the two points (0, 0) and (1, 1); CUTEst corrects the sign of "
             "x2 in the second constraint.",
    )


# ------------------------------------------------------------------------------------ BT11


def bt11() -> ClassicalProblem:
    """min (x1 - 1)^2 + (x1 - x2)^2 + (x2 - x3)^2 + (x3 - x4)^4 + (x4 - x5)^4
    s.t. x1 + x2^2 + x3^3 + 2 - 3 sqrt(2) = 0,  x2 - x3^2 + x4 + 2 - 2 sqrt(2) = 0,
         x1 - x5 - 2 = 0."""
    objective = hs79_objective()
    constraints = HS79Constraints(3.0 * SQRT2 - 2.0, 2.0 * SQRT2 - 2.0, "difference")
    return ClassicalProblem(
        name="BT11", source=_source(11), x0=[2.0] * 5, m=3,
        fun=objective.fun, grad=objective.grad, hess=objective.hess,
        cons=constraints.cons, jac=constraints.jac, cons_hess=constraints.cons_hess,
        f_opt=0.824891647,
    )


# ------------------------------------------------------------------------------------ BT12


def bt12() -> ClassicalProblem:
    """min 0.01 x1^2 + x2^2
    s.t. x1 + x2 - x3^2 - 25 = 0,  x1^2 + x2^2 - x4^2 - 25 = 0,  x1 - x5^2 - 2 = 0."""
    objective = AffinePowerSum(5, [(0.01, {0: 1.0}, 0.0, 2), (1.0, {1: 1.0}, 0.0, 2)])

    def cons(x):
        x1, x2, x3, x4, x5 = x
        return np.array([x1 + x2 - x3 ** 2 - 25.0, x1 ** 2 + x2 ** 2 - x4 ** 2 - 25.0, x1 - x5 ** 2 - 2.0])

    def jac(x):
        x1, x2, x3, x4, x5 = x
        return np.array([
            [1.0, 1.0, -2.0 * x3, 0.0, 0.0],
            [2.0 * x1, 2.0 * x2, 0.0, -2.0 * x4, 0.0],
            [1.0, 0.0, 0.0, 0.0, -2.0 * x5],
        ])

    def cons_hess(x, y):
        return np.diag([2.0 * y[1], 2.0 * y[1], -2.0 * y[0], -2.0 * y[1], -2.0 * y[2]])

    # The slack form of min 0.01 x1^2 + x2^2 s.t. x1 + x2 >= 25, x1^2 + x2^2 >= 25, x1 >= 2:
    # only the first inequality is active, so x1 = 100 x2 = 2500/101 and f = 625/101.
    x1, x2 = 2500.0 / 101.0, 25.0 / 101.0
    return ClassicalProblem(
        name="BT12", source=_source(12), x0=[15.811, 1.5811, 0.0, 15.083, 3.7164], m=3,
        fun=objective.fun, grad=objective.grad, hess=objective.hess,
        cons=cons, jac=jac, cons_hess=cons_hess, f_opt=6.18811881,
        x_opt=[x1, x2, 0.0, np.sqrt(x1 ** 2 + x2 ** 2 - 25.0), np.sqrt(x1 - 2.0)],
        note="x_opt solves the KKT conditions in closed form (the signs of x4, x5 follow x0); "
             "f(x_opt) = 625/101.",
    )


# ------------------------------------------------------------------------------------ Maratos


def maratos_nw() -> ClassicalProblem:
    """min 2 (x1^2 + x2^2 - 1) - x1  s.t.  x1^2 + x2^2 - 1 = 0."""

    def fun(x):
        return float(2.0 * (x @ x - 1.0) - x[0])

    def grad(x):
        return np.array([4.0 * x[0] - 1.0, 4.0 * x[1]])

    def hess(x):
        return 4.0 * np.eye(2)

    def cons(x):
        return np.array([x @ x - 1.0])

    def jac(x):
        return np.array([2.0 * x])

    def cons_hess(x, y):
        return 2.0 * y[0] * np.eye(2)

    return ClassicalProblem(
        name="MARATOS-NW",
        source="N. Maratos, PhD thesis, Imperial College London, 1978, in the form of Nocedal & "
               "Wright (2006), Numerical Optimization, 2nd ed., Example 15.4",
        x0=[np.cos(0.8), np.sin(0.8)], m=1,
        fun=fun, grad=grad, hess=hess, cons=cons, jac=jac, cons_hess=cons_hess,
        f_opt=-1.0, x_opt=[1.0, 0.0],
        note="The Maratos effect: from feasible points near x_opt the full SQP step increases "
             "both f and the l1 merit.  Not the CUTEst problem MARATOS, which has objective "
             "-x1 + 1e-6 (x1^2 + x2^2 - 1) and x0 = (1.1, 0.1).",
    )


BUILDERS = (bt1, bt2, bt3, bt4, bt5, bt6, bt7, bt8, bt9, bt10, bt11, bt12, maratos_nw)
