"""Shared fixtures: small problems with known solutions written inline, and an independent KKT check."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import LinearConstraint, NonlinearConstraint


def independent_kkt_residual(grad, cons, jac, x, y) -> float:
    """||(grad f + J^T y, c)||_2 from the user's own callables, not through the solver."""
    g = np.asarray(grad(x), dtype=float)
    c = np.atleast_1d(np.asarray(cons(x), dtype=float))
    J = np.atleast_2d(np.asarray(jac(x), dtype=float))
    return float(np.hypot(np.linalg.norm(g + J.T @ y), np.linalg.norm(c)))


class HS6:
    """Hock-Schittkowski 6: min (1-x1)^2 s.t. 10(x2 - x1^2) = 0; x* = (1, 1), f* = 0."""

    x0 = np.array([-1.2, 1.0])
    x_opt = np.array([1.0, 1.0])
    f_opt = 0.0

    @staticmethod
    def fun(x):
        return (1 - x[0]) ** 2

    @staticmethod
    def grad(x):
        return np.array([-2 * (1 - x[0]), 0.0])

    @staticmethod
    def hess(x):
        return np.array([[2.0, 0.0], [0.0, 0.0]])

    @staticmethod
    def cons(x):
        return np.array([10 * (x[1] - x[0] ** 2)])

    @staticmethod
    def jac(x):
        return np.array([[-20 * x[0], 10.0]])

    @staticmethod
    def cons_hess(x, v):
        return np.array([[-20 * v[0], 0.0], [0.0, 0.0]])

    @classmethod
    def constraint(cls):
        return NonlinearConstraint(cls.cons, 0.0, 0.0, jac=cls.jac, hess=cls.cons_hess)


class HS28:
    """HS28: min (x1+x2)^2 + (x2+x3)^2 s.t. x1 + 2x2 + 3x3 = 1; x* = (0.5, -0.5, 0.5), f* = 0."""

    x0 = np.array([-4.0, 1.0, 1.0])
    x_opt = np.array([0.5, -0.5, 0.5])
    f_opt = 0.0
    A = np.array([[1.0, 2.0, 3.0]])

    @staticmethod
    def fun(x):
        return (x[0] + x[1]) ** 2 + (x[1] + x[2]) ** 2

    @staticmethod
    def grad(x):
        a, b = x[0] + x[1], x[1] + x[2]
        return np.array([2 * a, 2 * a + 2 * b, 2 * b])

    @staticmethod
    def hess(x):
        return np.array([[2.0, 2.0, 0.0], [2.0, 4.0, 2.0], [0.0, 2.0, 2.0]])

    @classmethod
    def cons(cls, x):
        return cls.A @ x - 1.0

    @classmethod
    def jac(cls, x):
        return cls.A

    @staticmethod
    def cons_hess(x, v):
        return np.zeros((3, 3))

    @classmethod
    def constraint(cls):
        return LinearConstraint(cls.A, 1.0, 1.0)


@pytest.fixture
def hs6():
    return HS6


@pytest.fixture
def hs28():
    return HS28
