"""Every way a run can end gives a clear status and the best point so far -- never an escaping exception."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import LinearConstraint, NonlinearConstraint

from sketchsqp import Problem, ProblemDefinitionError, Status, minimize, solve_problem
from sketchsqp.errors import OptionsError

from conftest import HS6, independent_kkt_residual

METHODS = ["adasketch-gaussian", "adasketch-kaczmarz"]


def _hs6(method, **kw):
    return minimize(HS6.fun, HS6.x0, jac=HS6.grad, hess=HS6.hess, constraints=HS6.constraint(), method=method, **kw)


@pytest.mark.parametrize("method", METHODS)
def test_iteration_limit_returns_best_point(method):
    res = _hs6(method, seed=0, options={"max_iter": 2})
    assert res.status is Status.MAX_ITER and not res.success and res.nit == 2
    assert np.all(np.isfinite(res.x))
    # the best point is the one with the smallest KKT residual among the iterates
    assert res.kkt_residual == pytest.approx(min([h.kkt_residual for h in res.history] + [6.0031]), rel=1e-3)
    recomputed = independent_kkt_residual(HS6.grad, HS6.cons, HS6.jac, res.x, res.y)
    assert recomputed == pytest.approx(res.kkt_residual, rel=1e-10)


def test_zero_iterations_returns_x0():
    res = _hs6("adasketch-gaussian", seed=0, options={"max_iter": 0})
    assert res.status is Status.MAX_ITER
    np.testing.assert_array_equal(res.x, HS6.x0)


def test_callback_stop_and_intermediate_results():
    seen = []

    def callback(intermediate):
        seen.append((intermediate.nit, intermediate.kkt_residual, intermediate.status))
        return intermediate.nit >= 3

    res = _hs6("adasketch-gaussian", seed=0, callback=callback)
    assert res.status is Status.CALLBACK_STOP and res.nit == 3
    assert [s[0] for s in seen] == [1, 2, 3] and all(s[2] is Status.IN_PROGRESS for s in seen)


def test_callback_stop_iteration():
    def callback(intermediate):
        raise StopIteration

    assert _hs6("adasketch-gaussian", seed=0, callback=callback).status is Status.CALLBACK_STOP


def test_keyboard_interrupt_returns_best_point():
    def callback(intermediate):
        if intermediate.nit == 2:
            raise KeyboardInterrupt

    res = _hs6("adasketch-kaczmarz", seed=0, callback=callback)
    assert res.status is Status.INTERRUPTED and res.nit == 2
    assert np.all(np.isfinite(res.x)) and res.kkt_residual < 6.01


def test_callback_raising_keeps_the_exception():
    def callback(intermediate):
        raise RuntimeError("boom")

    res = _hs6("adasketch-gaussian", seed=0, callback=callback)
    assert res.status is Status.CALLABLE_ERROR
    assert isinstance(res.exception, RuntimeError) and str(res.exception) == "boom"


def test_objective_raising_mid_run_keeps_the_exception():
    calls = {"n": 0}

    def fun(x):
        calls["n"] += 1
        if calls["n"] > 4:
            raise ZeroDivisionError("model broke")
        return HS6.fun(x)

    res = minimize(fun, HS6.x0, jac=HS6.grad, hess=HS6.hess, constraints=HS6.constraint(), seed=0)
    assert res.status is Status.CALLABLE_ERROR and isinstance(res.exception, ZeroDivisionError)
    assert np.all(np.isfinite(res.x)) and "model broke" in res.info["detail"]


@pytest.mark.parametrize("method", METHODS)
def test_objective_nan_away_from_x0_is_backtracked(method):
    # f = x1 - 2 log(x1) + x2^2 is undefined for x1 <= 0; Newton from x1 = 5 overshoots there.
    def fun(x):
        with np.errstate(invalid="ignore", divide="ignore"):
            return x[0] - 2 * np.log(x[0]) + x[1] ** 2

    def grad(x):
        return np.array([1 - 2 / x[0], 2 * x[1]])

    def hess(x):
        return np.array([[2 / x[0] ** 2, 0.0], [0.0, 2.0]])

    res = minimize(fun, [5.0, 3.0], jac=grad, hess=hess, constraints=LinearConstraint([[0.0, 1.0]], 1.0, 1.0),
                   method=method, seed=0)
    assert res.success
    np.testing.assert_allclose(res.x, [2.0, 1.0], atol=1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_duplicated_constraint_is_rank_deficient_but_handled(method):
    A = np.array([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    res = minimize(lambda x: float(x @ x), np.array([1.0, 2.0, 3.0]), jac=lambda x: 2 * x,
                   hess=lambda x: 2 * np.eye(3), constraints=LinearConstraint(A, 1.0, 1.0), method=method, seed=0,
                   options={"max_iter": 50})
    assert res.status in (Status.CONVERGED, Status.RANK_DEFICIENT)
    assert res.info["rank_deficient_iterations"] >= 1
    if res.success:
        np.testing.assert_allclose(res.x, np.full(3, 1 / 3), atol=1e-6)
        assert independent_kkt_residual(lambda x: 2 * x, lambda x: A @ x - 1, lambda x: A, res.x, res.y) <= 1e-6


@pytest.mark.parametrize("method", METHODS)
def test_infeasible_constraint(method):
    con = NonlinearConstraint(lambda x: np.array([x[0] ** 2 + 1.0]), 0, 0, jac=lambda x: np.array([[2 * x[0], 0.0]]),
                              hess=lambda x, v: np.array([[2 * v[0], 0.0], [0.0, 0.0]]))
    res = minimize(lambda x: float(x @ x), np.array([1.0, 1.0]), jac=lambda x: 2 * x, hess=lambda x: 2 * np.eye(2),
                   constraints=con, method=method, seed=0, options={"max_iter": 200, "max_inner_iter": 20_000})
    assert not res.success
    assert res.status is Status.INFEASIBLE
    assert res.constr_violation >= 1.0 - 1e-12 and np.all(np.isfinite(res.x))


def test_more_constraints_than_variables_is_an_error():
    A = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    with pytest.raises(ProblemDefinitionError, match=r"m = 3 > n = 2"):
        minimize(lambda x: float(x @ x), np.zeros(2), jac=lambda x: 2 * x, constraints=LinearConstraint(A, 1.0, 1.0))


def test_time_limit():
    res = _hs6("adasketch-kaczmarz", seed=0, options={"time_limit": 1e-4})
    assert res.status is Status.TIME_LIMIT and np.all(np.isfinite(res.x))


def test_nan_at_x0_in_low_level_solve_is_a_status():
    p = Problem(lambda x: float("nan"), lambda x: x, np.ones(2), lambda x: x[:1] - 1, lambda x: np.array([[1.0, 0]]))
    res = solve_problem(p, "adasketch-gaussian", seed=0)
    assert res.status is Status.NON_FINITE and math.isnan(res.fun)
    np.testing.assert_array_equal(res.x, np.ones(2))


def test_unconstrained_problem_is_solved():
    res = minimize(lambda x: float((x - 3) @ (x - 3)), np.zeros(4), jac=lambda x: 2 * (x - 3),
                   hess=lambda x: 2 * np.eye(4), seed=0)
    assert res.success and res.y.shape == (0,)
    np.testing.assert_allclose(res.x, 3.0, atol=1e-6)


def test_same_seed_is_bit_identical_and_seeds_differ():
    runs = [_hs6("adasketch-gaussian", seed=s, options={"max_iter": 3}) for s in (4, 4, 5)]
    np.testing.assert_array_equal(runs[0].x, runs[1].x)
    assert runs[0].inner_iterations == runs[1].inner_iterations
    assert not np.array_equal(runs[0].x, runs[2].x)


@pytest.mark.parametrize("method", METHODS)
def test_time_limit_is_honoured_on_a_large_pde_instance(method):
    from sketchsqp.problems.pde import pde_control_problem

    problem = pde_control_problem(256)  # 131,072 variables, 65,536 constraints
    res = solve_problem(problem, method, options={"time_limit": 0.01}, seed=0)
    assert res.status is Status.TIME_LIMIT
    assert res.time < 0.5  # the limit is checked inside the inner solver, not only between iterations
    assert np.all(np.isfinite(res.x)) and res.x.shape == (problem.n,)


def test_keyboard_interrupt_inside_a_user_callable_returns_best_point():
    calls = {"n": 0}

    def fun(x):
        calls["n"] += 1
        if calls["n"] == 6:
            raise KeyboardInterrupt
        return HS6.fun(x)

    res = minimize(fun, HS6.x0, jac=HS6.grad, hess=HS6.hess, constraints=HS6.constraint(), seed=0)
    assert res.status is Status.INTERRUPTED and np.all(np.isfinite(res.x))


def test_reraise_on_request():
    def fun(x):
        raise ValueError("bad model")

    p = Problem(fun, HS6.grad, HS6.x0, HS6.cons, HS6.jac)
    assert solve_problem(p, "adasketch-gaussian", seed=0).status is Status.CALLABLE_ERROR
    with pytest.raises(ValueError, match="bad model"):
        solve_problem(p, "adasketch-gaussian", seed=0, options={"reraise": True})


def test_least_squares_initial_multipliers():
    res = _hs6("adasketch-gaussian", seed=0, options={"max_iter": 0, "initial_multipliers": "least-squares"})
    J, g = HS6.jac(HS6.x0), HS6.grad(HS6.x0)
    np.testing.assert_allclose(res.y, np.linalg.lstsq(J.T, -g, rcond=None)[0], rtol=1e-12)
    assert res.kkt_residual == pytest.approx(independent_kkt_residual(HS6.grad, HS6.cons, HS6.jac, HS6.x0, res.y))
    solved = _hs6("adasketch-kaczmarz", seed=0, options={"initial_multipliers": "least-squares"})
    assert solved.success
    np.testing.assert_allclose(solved.x, HS6.x_opt, atol=1e-6)


def test_descent_fallback_leaves_a_point_where_the_jacobian_vanishes():
    """BT1 with the Gaussian sketch (seed 0) reaches the origin, where J = 2x vanishes and no
    inner step is a descent direction even at extreme penalties: the default steps along -grad M
    and converges; with the fallback off the run stops with a clear failure status."""
    from sketchsqp.problems.classical import get_classical

    problem = get_classical("BT1").to_problem()
    options = {"tol": 1e-6, "accuracy": "practical"}
    res = solve_problem(problem, "adasketch-gaussian", options=options, seed=0)
    assert res.status is Status.CONVERGED
    assert res.info["fallback_steps"] >= 1
    np.testing.assert_allclose(res.x, [1.0, 0.0], atol=1e-5)
    strict = solve_problem(problem, "adasketch-gaussian", options={**options, "descent_fallback": False}, seed=0)
    assert strict.status in (Status.INNER_SOLVER_FAILED, Status.PENALTY_SAFEGUARD)
    assert strict.info["fallback_steps"] == 0 and np.all(np.isfinite(strict.x))
    with pytest.raises(OptionsError, match="descent_fallback"):
        solve_problem(problem, "adasketch-gaussian", options={"descent_fallback": 1})
