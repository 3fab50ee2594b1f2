"""The exact augmented Lagrangian: value and gradient checked against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from sketchsqp.merit import ExactAugmentedLagrangian
from sketchsqp.problem import Problem, evaluate_point


def _nonlinear_problem():
    # f = x1^4 + x1 x2 + exp(x3),  c = (x1^2 + x2^2 + x3^2 - 2, x1 x3 - 0.3)
    def fun(x):
        return x[0] ** 4 + x[0] * x[1] + np.exp(x[2])

    def grad(x):
        return np.array([4 * x[0] ** 3 + x[1], x[0], np.exp(x[2])])

    def hess(x):
        return np.array([[12 * x[0] ** 2, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, np.exp(x[2])]])

    def cons(x):
        return np.array([x @ x - 2.0, x[0] * x[2] - 0.3])

    def jac(x):
        return np.array([2 * x, [x[2], 0.0, x[0]]])

    def cons_hess(x, y):
        return 2 * y[0] * np.eye(3) + y[1] * np.array([[0, 0, 1.0], [0, 0, 0], [1.0, 0, 0]])

    return Problem(fun, grad, np.array([0.3, -0.7, 0.5]), cons, jac, hess=hess, cons_hess=cons_hess)


@pytest.mark.parametrize("eta1, eta2", [(1.0, 0.1), (10.0, 0.01), (0.5, 2.0)])
def test_gradient_matches_finite_differences(eta1, eta2):
    problem = _nonlinear_problem()
    rng = np.random.default_rng(3)
    x = rng.standard_normal(3)
    y = rng.standard_normal(2)
    merit = ExactAugmentedLagrangian(eta1, eta2)
    point = evaluate_point(problem, x, y)
    gx, gy = merit.gradient(merit.derivative_parts(point, problem.hess(x, y)))

    def value(z):
        return merit.value(evaluate_point(problem, z[:3], z[3:]))

    z = np.concatenate([x, y])
    h = 1e-6
    fd = np.array([(value(z + h * e) - value(z - h * e)) / (2 * h) for e in np.eye(5)])
    np.testing.assert_allclose(np.concatenate([gx, gy]), fd, rtol=1e-6, atol=1e-7)


def test_value_is_lagrangian_plus_penalties():
    problem = _nonlinear_problem()
    x, y = np.array([0.1, 0.2, 0.3]), np.array([0.5, -1.0])
    point = evaluate_point(problem, x, y)
    gl = problem.grad(x) + problem.jac(x).T @ y
    c = problem.cons(x)
    expected = problem.fun(x) + y @ c + 0.5 * 2.0 * c @ c + 0.5 * 0.3 * gl @ gl
    assert ExactAugmentedLagrangian(2.0, 0.3).value(point) == pytest.approx(expected, rel=1e-14)
