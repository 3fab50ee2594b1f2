"""Bad input at the API boundary gets a clear error that names the argument and the shapes."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import LinearConstraint, NonlinearConstraint

import sketchsqp
from sketchsqp import OptionsError, Problem, ProblemDefinitionError, Status, minimize


def _quadratic(x):
    return float(x @ x)


def _quadratic_grad(x):
    return 2 * x


def _linear_eq(n=3):
    return LinearConstraint(np.ones((1, n)), 1.0, 1.0)


@pytest.mark.parametrize("x0, fragment", [
    (np.array([np.nan, 1.0, 2.0]), "x0 must be finite"),
    (np.array([np.inf, 1.0, 2.0]), "x0 must be finite"),
    (np.ones((3, 1)), "x0 must be one-dimensional"),
    (np.array(["a", "b"]), "x0 must be a real numeric vector"),
    (np.array([1 + 1j, 2.0]), "x0 must be real"),
])
def test_bad_x0(x0, fragment):
    with pytest.raises(ProblemDefinitionError, match=fragment):
        minimize(_quadratic, x0, jac=_quadratic_grad, constraints=_linear_eq(np.size(x0)))


def test_integer_x0_is_accepted_and_not_modified():
    x0 = np.array([3, 0, 0])
    res = minimize(_quadratic, x0, jac=_quadratic_grad, hess=lambda x: 2 * np.eye(3), constraints=_linear_eq(), seed=0)
    assert res.success
    np.testing.assert_allclose(res.x, np.full(3, 1 / 3), atol=1e-6)
    assert x0.dtype.kind == "i" and list(x0) == [3, 0, 0]


def test_wrong_gradient_shape_names_the_callable():
    with pytest.raises(ProblemDefinitionError, match=r"grad: must return shape \(3,\), got shape \(2,\)"):
        minimize(_quadratic, np.ones(3), jac=lambda x: np.ones(2), constraints=_linear_eq())


def test_wrong_jacobian_shape_names_the_callable():
    con = NonlinearConstraint(lambda x: np.array([x[0] ** 2 - 1]), 0, 0, jac=lambda x: np.ones((2, 3)))
    with pytest.raises(ProblemDefinitionError, match=r"jac: must return shape \(1, 3\), got shape \(2, 3\)"):
        minimize(_quadratic, np.ones(3), jac=_quadratic_grad, constraints=con)


def test_nan_from_objective_at_x0_is_an_error():
    with pytest.raises(ProblemDefinitionError, match="fun: returned a non-finite value"):
        minimize(lambda x: float("nan"), np.ones(3), jac=_quadratic_grad, constraints=_linear_eq())


def test_nan_from_constraint_at_x0_is_an_error():
    con = NonlinearConstraint(lambda x: np.array([np.nan]), 0, 0, jac=lambda x: np.ones((1, 3)))
    with pytest.raises(ProblemDefinitionError, match="cons: returned non-finite entries"):
        minimize(_quadratic, np.ones(3), jac=_quadratic_grad, constraints=con)


def test_non_scalar_objective_is_an_error():
    with pytest.raises(ProblemDefinitionError, match="fun: must return a real scalar"):
        minimize(lambda x: x, np.ones(3), jac=_quadratic_grad, constraints=_linear_eq())


@pytest.mark.parametrize("constraint", [
    NonlinearConstraint(lambda x: x[0], 0.0, 1.0),
    LinearConstraint(np.ones((1, 3)), -np.inf, 1.0),
    {"type": "ineq", "fun": lambda x: x[0]},
])
def test_inequality_constraints_are_rejected(constraint):
    with pytest.raises(ProblemDefinitionError, match="equality constraints"):
        minimize(_quadratic, np.ones(3), jac=_quadratic_grad, constraints=constraint)


def test_bounds_are_rejected():
    with pytest.raises(ProblemDefinitionError, match="bounds are not supported"):
        minimize(_quadratic, np.ones(3), jac=_quadratic_grad, constraints=_linear_eq(), bounds=[(0, 1)] * 3)


def test_linear_constraint_with_wrong_width():
    with pytest.raises(ProblemDefinitionError, match=r"LinearConstraint.A has shape \(1, 2\), expected \(k, 3\)"):
        minimize(_quadratic, np.ones(3), jac=_quadratic_grad, constraints=LinearConstraint(np.ones((1, 2)), 0, 0))


def test_unknown_option_lists_valid_ones():
    with pytest.raises(OptionsError, match="unknown option.*'tolerance'.*valid options"):
        minimize(_quadratic, np.ones(3), jac=_quadratic_grad, constraints=_linear_eq(), options={"tolerance": 1e-3})


@pytest.mark.parametrize("options, fragment", [
    ({"tol": -1.0}, "'tol' must be a positive number"),
    ({"max_iter": 2.5}, "'max_iter' must be a non-negative integer"),
    ({"beta": 0.7}, "'beta' must be in"),
    ({"nu": 1.0}, "'nu' must be greater than 1"),
    ({"accuracy": "exact"}, "'accuracy' must be 'theory' or 'practical'"),
    ({"eta2": "big"}, "'eta2' must be a positive number"),
])
def test_options_out_of_range(options, fragment):
    with pytest.raises(OptionsError, match=fragment):
        minimize(_quadratic, np.ones(3), jac=_quadratic_grad, constraints=_linear_eq(), options=options)


def test_unknown_method():
    with pytest.raises(OptionsError, match="unknown method 'newton'"):
        minimize(_quadratic, np.ones(3), jac=_quadratic_grad, constraints=_linear_eq(), method="newton")


def test_cons_without_jac_is_an_error():
    with pytest.raises(ProblemDefinitionError, match="cons and jac must be given together"):
        Problem(_quadratic, _quadratic_grad, np.ones(2), cons=lambda x: x[:1])


def test_sparse_and_dense_constraint_blocks_mix():
    A = sp.csr_array(np.array([[1.0, 1.0, 0.0]]))
    dense = NonlinearConstraint(lambda x: np.array([x[2] - 0.5]), 0, 0, jac=lambda x: np.array([[0.0, 0.0, 1.0]]),
                                hess=lambda x, v: np.zeros((3, 3)))
    res = minimize(_quadratic, np.ones(3), jac=_quadratic_grad, hess=lambda x: 2 * np.eye(3),
                   constraints=[LinearConstraint(A, 1.0, 1.0), dense], seed=1)
    assert res.success
    np.testing.assert_allclose(res.x, [0.5, 0.5, 0.5], atol=1e-6)


def test_problem_counts_evaluations():
    p = Problem(_quadratic, _quadratic_grad, np.ones(2), lambda x: np.array([x.sum() - 1]), lambda x: np.ones((1, 2)))
    p.fun(p.x0)
    p.grad(p.x0)
    p.jac(p.x0)
    assert (p.counts.nfev, p.counts.ngev, p.counts.njev) == (1, 1, 1)


def test_status_members_carry_messages():
    assert Status.CONVERGED.success and not Status.MAX_ITER.success
    assert all(isinstance(s.message, str) and s.message for s in Status)
    assert len({s.code for s in Status}) == len(Status)
    assert "sketchsqp" in sketchsqp.__name__
