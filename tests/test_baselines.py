"""The paper's baselines: GMRES-l1-SQP (fixed and adaptive) and the augmented Lagrangian method.

Every solution is checked against the problem's known optimum and by a KKT residual recomputed
here from the test's own callables; the l1 merit's derivative against finite differences; the
termination rules against the inequalities they promise.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import LinearConstraint, NonlinearConstraint

from sketchsqp import METHODS, OptionsError, Problem, Status, minimize, solve_problem
from sketchsqp.linalg import InnerStatus
from sketchsqp.merit.l1 import L1Merit
from sketchsqp.problem import PointEvaluation, evaluate_point
from sketchsqp.solvers.baselines import (AdaptiveL1SQPOptions, AdaptiveResidualTest, AugLagOptions,
                                         ByrdCurtisNocedalTests, L1SQPOptions, method_specs)
from sketchsqp.solvers.baselines.gmres import KrylovIterate, MonitoredGMRES
from sketchsqp.solvers.baselines.l1sqp import Penalties, TrialStep

from conftest import HS6, HS28

BASELINES = ["l1sqp-gmres", "l1sqp-gmres-adaptive", "auglag"]


# ---------------------------------------------------------------------- test problems (Hock-Schittkowski)
class HS7:
    """min log(1 + x1^2) - x2 s.t. (1 + x1^2)^2 + x2^2 = 4; x* = (0, sqrt 3), f* = -sqrt 3 (nonconvex)."""

    x0 = np.array([2.0, 2.0])
    x_opt = np.array([0.0, np.sqrt(3.0)])
    f_opt = -np.sqrt(3.0)

    @staticmethod
    def fun(x):
        return np.log(1 + x[0] ** 2) - x[1]

    @staticmethod
    def grad(x):
        return np.array([2 * x[0] / (1 + x[0] ** 2), -1.0])

    @staticmethod
    def hess(x):
        return np.array([[2 * (1 - x[0] ** 2) / (1 + x[0] ** 2) ** 2, 0.0], [0.0, 0.0]])

    @staticmethod
    def cons(x):
        return np.array([(1 + x[0] ** 2) ** 2 + x[1] ** 2 - 4])

    @staticmethod
    def jac(x):
        return np.array([[4 * x[0] * (1 + x[0] ** 2), 2 * x[1]]])

    @staticmethod
    def cons_hess(x, v):
        return v[0] * np.array([[4 + 12 * x[0] ** 2, 0.0], [0.0, 2.0]])


class HS40:
    """min -x1 x2 x3 x4 s.t. x1^3 + x2^2 = 1, x1^2 x4 = x3, x4^2 = x2; f* = -0.25 (nonconvex, 3 constraints)."""

    x0 = np.full(4, 0.8)
    x_opt = np.array([2 ** (-1 / 3), 2 ** (-1 / 2), 2 ** (-11 / 12), 2 ** (-1 / 4)])
    f_opt = -0.25
    # (x3, x4) -> (-x3, -x4) maps solutions to solutions: both are global minimisers.
    other_solutions = [x_opt * np.array([1.0, 1.0, -1.0, -1.0])]

    @staticmethod
    def fun(x):
        return -x[0] * x[1] * x[2] * x[3]

    @staticmethod
    def grad(x):
        return -np.array([x[1] * x[2] * x[3], x[0] * x[2] * x[3], x[0] * x[1] * x[3], x[0] * x[1] * x[2]])

    @staticmethod
    def hess(x):
        H = np.zeros((4, 4))
        for i in range(4):
            for j in range(4):
                if i != j:
                    H[i, j] = -np.prod([x[k] for k in range(4) if k not in (i, j)])
        return H

    @staticmethod
    def cons(x):
        return np.array([x[0] ** 3 + x[1] ** 2 - 1, x[0] ** 2 * x[3] - x[2], x[3] ** 2 - x[1]])

    @staticmethod
    def jac(x):
        return np.array([[3 * x[0] ** 2, 2 * x[1], 0.0, 0.0],
                         [2 * x[0] * x[3], 0.0, -1.0, x[0] ** 2],
                         [0.0, -1.0, 0.0, 2 * x[3]]])

    @staticmethod
    def cons_hess(x, v):
        H = np.zeros((4, 4))
        H[0, 0] = 6 * x[0] * v[0] + 2 * x[3] * v[1]
        H[1, 1] = 2 * v[0]
        H[0, 3] = H[3, 0] = 2 * x[0] * v[1]
        H[3, 3] = 2 * v[2]
        return H


class HS77:
    """Five variables, two nonlinear constraints (one with a sine); f* = 0.24150513 (nonconvex)."""

    x0 = np.full(5, 2.0)
    x_opt = np.array([1.166172, 1.182111, 1.380257, 1.506036, 0.6109203])
    f_opt = 0.24150513

    @staticmethod
    def fun(x):
        return (x[0] - 1) ** 2 + (x[0] - x[1]) ** 2 + (x[2] - 1) ** 2 + (x[3] - 1) ** 4 + (x[4] - 1) ** 6

    @staticmethod
    def grad(x):
        return np.array([2 * (x[0] - 1) + 2 * (x[0] - x[1]), -2 * (x[0] - x[1]), 2 * (x[2] - 1),
                         4 * (x[3] - 1) ** 3, 6 * (x[4] - 1) ** 5])

    @staticmethod
    def hess(x):
        H = np.zeros((5, 5))
        H[0, 0], H[0, 1], H[1, 0], H[1, 1], H[2, 2] = 4.0, -2.0, -2.0, 2.0, 2.0
        H[3, 3] = 12 * (x[3] - 1) ** 2
        H[4, 4] = 30 * (x[4] - 1) ** 4
        return H

    @staticmethod
    def cons(x):
        return np.array([x[0] ** 2 * x[3] + np.sin(x[3] - x[4]) - 2 * np.sqrt(2),
                         x[1] + x[2] ** 4 * x[3] ** 2 - 8 - np.sqrt(2)])

    @staticmethod
    def jac(x):
        s = np.cos(x[3] - x[4])
        return np.array([[2 * x[0] * x[3], 0.0, 0.0, x[0] ** 2 + s, -s],
                         [0.0, 1.0, 4 * x[2] ** 3 * x[3] ** 2, 2 * x[2] ** 4 * x[3], 0.0]])

    @staticmethod
    def cons_hess(x, v):
        s = np.sin(x[3] - x[4])
        H = np.zeros((5, 5))
        H[0, 0] = 2 * x[3] * v[0]
        H[0, 3] = H[3, 0] = 2 * x[0] * v[0]
        H[3, 3] = -s * v[0] + 2 * x[2] ** 4 * v[1]
        H[3, 4] = H[4, 3] = s * v[0]
        H[4, 4] = -s * v[0]
        H[2, 2] = 12 * x[2] ** 2 * x[3] ** 2 * v[1]
        H[2, 3] = H[3, 2] = 8 * x[2] ** 3 * x[3] * v[1]
        return H


class BT1:
    """min 100 x1^2 + 100 x2^2 - x1 - 100 s.t. x1^2 + x2^2 = 1; x* = (1, 0), f* = -1.

    From x0 inside the circle the quadratic pulls towards the origin: the early subproblems of the
    augmented Lagrangian method are solved far from feasibility, and GMRES-l1-SQP needs a large mu.
    """

    x0 = np.array([0.08, 0.06])
    x_opt = np.array([1.0, 0.0])
    f_opt = -1.0

    @staticmethod
    def fun(x):
        return 100 * x[0] ** 2 + 100 * x[1] ** 2 - x[0] - 100

    @staticmethod
    def grad(x):
        return np.array([200 * x[0] - 1, 200 * x[1]])

    @staticmethod
    def hess(x):
        return 200.0 * np.eye(2)

    @staticmethod
    def cons(x):
        return np.array([x[0] ** 2 + x[1] ** 2 - 1])

    @staticmethod
    def jac(x):
        return np.array([[2 * x[0], 2 * x[1]]])

    @staticmethod
    def cons_hess(x, v):
        return 2 * v[0] * np.eye(2)


PROBLEMS = [HS6, HS7, HS28, HS40, HS77, BT1]

# With the prototype's mu0 = 1 the first augmented Lagrangian subproblem of HS40 is unbounded below
# (-x1 x2 x3 x4 is quartic, the penalty only quadratic in c) and the method diverges; a larger
# initial penalty is the usual remedy.
OPTION_OVERRIDES = {("auglag", "HS40"): {"mu0": 2.0}}


def constraint_of(P):
    if P is HS28:
        return LinearConstraint(P.A, 1.0, 1.0)
    return NonlinearConstraint(P.cons, 0.0, 0.0, jac=P.jac, hess=P.cons_hess)


def solve(P, method, **options):
    merged = {**OPTION_OVERRIDES.get((method, P.__name__), {}), **options}
    return minimize(P.fun, P.x0, jac=P.grad, hess=P.hess, constraints=constraint_of(P), method=method,
                    options=merged, name=P.__name__)


def independent_kkt(P, x, y) -> float:
    """||(grad f + J^T y, c)||_2 from the test's own callables."""
    g = P.grad(x) + P.jac(x).T @ y
    return float(np.hypot(np.linalg.norm(g), np.linalg.norm(P.cons(x))))


def as_problem(P, **kwargs) -> Problem:
    return Problem(P.fun, P.grad, P.x0, P.cons, P.jac, hess=P.hess, cons_hess=P.cons_hess, name=P.__name__, **kwargs)


# ---------------------------------------------------------------------- solving known problems
@pytest.mark.parametrize("method", BASELINES)
@pytest.mark.parametrize("P", PROBLEMS, ids=lambda P: P.__name__)
def test_solves_known_problem(method, P):
    res = solve(P, method)
    assert res.status is Status.CONVERGED, res.summary()
    assert independent_kkt(P, res.x, res.y) <= 1e-6
    solutions = [P.x_opt] + getattr(P, "other_solutions", [])
    assert min(np.max(np.abs(res.x - s)) for s in solutions) <= 1e-5, res.x
    # f - f* ~ y^T c at a point with KKT residual 1e-6
    assert res.fun == pytest.approx(P.f_opt, abs=1e-6 * (1 + np.abs(res.y).sum()))
    assert res.method == method and res.nit == len(res.history) >= 1
    assert res.inner_iterations == sum(h.inner_iterations for h in res.history) > 0


@pytest.mark.parametrize("method", BASELINES)
def test_iteration_limit_returns_best_point(method):
    res = solve(HS6, method, max_iter=1)
    assert res.status is Status.MAX_ITER and res.nit == 1 and len(res.history) == 1
    start = independent_kkt(HS6, HS6.x0, np.zeros(1))
    assert res.kkt_residual == pytest.approx(min(start, res.history[0].kkt_residual))
    assert independent_kkt(HS6, res.x, res.y) == pytest.approx(res.kkt_residual, rel=1e-12)


@pytest.mark.parametrize("method", BASELINES)
def test_runs_are_deterministic(method):
    first, second = solve(HS77, method), solve(HS77, method)
    np.testing.assert_array_equal(first.x, second.x)
    np.testing.assert_array_equal(first.y, second.y)
    assert first.nit == second.nit and first.inner_iterations == second.inner_iterations
    np.testing.assert_equal([h.as_dict() for h in first.history], [h.as_dict() for h in second.history])


@pytest.mark.parametrize("method", BASELINES)
def test_matrix_free_lagrangian_hessian(method):
    """A Hessian given only as products (a LinearOperator) gives the same solution."""
    def hessp(x, y, v):
        return (HS77.hess(x) + HS77.cons_hess(x, y)) @ v

    problem = Problem(HS77.fun, HS77.grad, HS77.x0, HS77.cons, HS77.jac, lagrangian_hessp=hessp)
    res = solve_problem(problem, method)
    assert res.success and independent_kkt(HS77, res.x, res.y) <= 1e-6


@pytest.mark.parametrize("method", BASELINES)
def test_unconstrained_problem(method):
    # f = (x1 - 1)^2 + 10 (x2 + 2)^2 + x1 x2: a convex quadratic, minimiser from grad f = 0.
    Q = np.array([[2.0, 1.0], [1.0, 20.0]])
    q = np.array([-2.0, 40.0])
    x_opt = np.linalg.solve(Q, -q)
    res = minimize(lambda x: 0.5 * x @ Q @ x + q @ x, np.zeros(2), jac=lambda x: Q @ x + q, hess=lambda x: Q,
                   method=method)
    assert res.success
    np.testing.assert_allclose(res.x, x_opt, atol=1e-6)


@pytest.mark.parametrize("method", BASELINES)
def test_unbounded_problem_ends_with_a_status_not_an_overflow(method):
    # min -x1^4 + x2^2 s.t. x1 + x2 = 1 is unbounded below; warnings are errors in the test run.
    problem = Problem(lambda x: -x[0] ** 4 + x[1] ** 2, lambda x: np.array([-4 * x[0] ** 3, 2 * x[1]]), [0.5, 0.5],
                      lambda x: np.array([x[0] + x[1] - 1]), lambda x: np.array([[1.0, 1.0]]),
                      hess=lambda x: np.diag([-12 * x[0] ** 2, 2.0]), cons_hess=lambda x, y: np.zeros((2, 2)))
    res = solve_problem(problem, method, options={"max_iter": 500})
    assert res.status in (Status.DIVERGED, Status.PENALTY_SAFEGUARD)
    assert np.all(np.isfinite(res.x)) and np.isfinite(res.kkt_residual) and res.info["detail"]


def test_registered_as_deterministic_methods():
    specs = {spec.name: spec for spec in method_specs()}
    assert sorted(specs) == sorted(BASELINES)
    for name in BASELINES:
        assert METHODS[name].randomized is False and METHODS[name].external is False


# ---------------------------------------------------------------------- GMRES-l1-SQP specifics
def test_l1sqp_records_penalty_and_tests():
    res = solve(HS40, "l1sqp-gmres")
    counts = res.info["termination_tests"]
    assert sum(counts.values()) == res.nit and set(counts) <= {"test1", "test2"}
    assert [h.eta1 for h in res.history][-1] == res.info["mu"]  # eta1 column carries mu
    assert all(h.eta1 >= 1.0 for h in res.history)  # mu starts at 1 and never decreases


def test_adaptive_variant_tightens_kappa_and_raises_mu_together():
    res = solve(HS6, "l1sqp-gmres-adaptive")
    mus = np.array([1.0] + [h.eta1 for h in res.history])
    kappas = np.array([0.1] + [h.delta for h in res.history])  # delta column carries kappa
    updates = np.round(np.log(mus / mus[0]) / np.log(1.5)).astype(int)
    np.testing.assert_allclose(mus, 1.5 ** updates, rtol=1e-12)
    np.testing.assert_allclose(kappas, 0.1 / 1.5 ** (2 * updates), rtol=1e-12)
    assert np.all(np.diff(updates) >= 0)


def _point(n=4, m=3, seed=0) -> PointEvaluation:
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(n), rng.standard_normal(m)
    g, c, J = rng.standard_normal(n), rng.standard_normal(m), rng.standard_normal((m, n))
    return PointEvaluation(x=x, y=y, f=1.0, g=g, c=c, jac=J, grad_lagrangian=g + J.T @ y)


def _trial(point: PointEvaluation, B: np.ndarray, z: np.ndarray) -> TrialStep:
    J = point.jac
    K = np.block([[B, J.T], [J, np.zeros((J.shape[0], J.shape[0]))]])
    b = -np.concatenate([point.grad_lagrangian, point.c])
    product = K @ z
    return TrialStep.from_iterate(KrylovIterate(z, product - b, product, 1), point, float(np.sum(np.abs(b))))


def test_trial_step_quantities_match_direct_computation():
    point = _point()
    rng = np.random.default_rng(1)
    M = rng.standard_normal((4, 4))
    B = M @ M.T
    z = rng.standard_normal(7)
    trial = _trial(point, B, z)
    dx = z[:4]
    assert trial.curvature == pytest.approx(dx @ B @ dx, rel=1e-12)
    np.testing.assert_allclose(trial.linearized, point.c + point.jac @ dx, rtol=1e-12, atol=1e-14)
    expected = -point.g @ dx + 2.0 * (np.abs(point.c).sum() - np.abs(point.c + point.jac @ dx).sum())
    assert trial.model_reduction(point, 2.0) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_test2_penalty_update_gives_the_promised_model_reduction(seed):
    """After test 2 the new mu satisfies mred >= max(dBd/2, 0) + tau mu (||c|| - ||r||) >= sigma mu ||c||."""
    options = L1SQPOptions()
    point = _point(seed=seed)
    rng = np.random.default_rng(seed + 10)
    M = rng.standard_normal((4, 4))
    B = M @ M.T + np.eye(4)
    n, m = 4, 3
    K = np.block([[B, point.jac.T], [point.jac, np.zeros((m, m))]])
    exact = np.linalg.solve(K, -np.concatenate([point.grad_lagrangian, point.c]))
    z = exact + 1e-4 * rng.standard_normal(n + m)  # nearly exact: test 2's residual bounds hold
    trial = _trial(point, B, z)
    decision = ByrdCurtisNocedalTests(options).decide(trial, point, Penalties(mu=1e-3, kappa=1.0))
    assert decision.accept and decision.test == "test2"
    mu = decision.penalties.mu
    reduction = trial.model_reduction(point, mu)
    c1, r1 = trial.constraint_l1, trial.linearized_l1
    assert reduction >= max(0.5 * trial.curvature, 0.0) + options.tau * mu * (c1 - r1) - 1e-12
    assert reduction >= options.sigma * mu * c1


def test_test1_keeps_the_penalty():
    options = L1SQPOptions()
    point = _point(seed=3)
    B = 4.0 * np.eye(4)
    K = np.block([[B, point.jac.T], [point.jac, np.zeros((3, 3))]])
    exact = np.linalg.solve(K, -np.concatenate([point.grad_lagrangian, point.c]))
    trial = _trial(point, B, exact)
    decision = ByrdCurtisNocedalTests(options).decide(trial, point, Penalties(mu=1e3, kappa=1.0))
    assert decision.accept and decision.test == "test1" and decision.penalties.mu == 1e3


def test_adaptive_rule_updates_until_the_model_test_holds():
    options = AdaptiveL1SQPOptions()
    point = _point(seed=4)
    B = 4.0 * np.eye(4)
    K = np.block([[B, point.jac.T], [point.jac, np.zeros((3, 3))]])
    exact = np.linalg.solve(K, -np.concatenate([point.grad_lagrangian, point.c]))
    trial = _trial(point, B, exact)  # residual 0: passes every residual test
    mu0 = 1e-3
    assert not trial.passes_model_test(point, mu0, options.sigma)
    decision = AdaptiveResidualTest(options).decide(trial, point, Penalties(mu=mu0, kappa=0.1))
    assert decision.accept
    mu, kappa = decision.penalties.mu, decision.penalties.kappa
    updates = round(np.log(mu / mu0) / np.log(options.nu))
    assert updates >= 1 and mu == pytest.approx(mu0 * options.nu**updates)
    assert kappa == pytest.approx(0.1 / options.nu ** (2 * updates))
    assert trial.passes_model_test(point, mu, options.sigma)
    assert not trial.passes_model_test(point, mu / options.nu, options.sigma)


# ---------------------------------------------------------------------- augmented Lagrangian specifics
@pytest.mark.parametrize("P, tol", [(HS77, 1e-6), (BT1, 1e-6), (BT1, 1e-3)], ids=["HS77", "BT1", "BT1-tol1e-3"])
def test_auglag_counts_multiplier_updates_and_follows_the_schedule(P, tol):
    res = solve(P, "auglag", tol=tol)
    assert res.success
    k = res.info["multiplier_updates"]
    assert 1 <= k < res.nit
    assert res.info["mu"] == pytest.approx(1.5**k)
    assert res.info["tau"] == pytest.approx(max(0.1 * 0.1**k, tol / 10))  # tau stops at tol / 10
    assert sorted({h.eta1 for h in res.history}) == pytest.approx([1.5**i for i in range(k + 1)])


def test_auglag_scalable_shift_rule_matches_the_dense_one():
    dense = solve(HS77, "auglag")
    lanczos = solve(HS77, "auglag", dense_eigen_limit=0)
    assert lanczos.success and independent_kkt(HS77, lanczos.x, lanczos.y) <= 1e-6
    assert any(h.hessian_shift > 0 for h in lanczos.history)  # HS77 needs a shift at x0
    np.testing.assert_allclose(lanczos.x, dense.x, atol=1e-6)


def test_auglag_reported_multipliers_are_the_first_order_estimate():
    res = solve(HS7, "auglag", max_iter=3)
    y_subproblem = res.info["subproblem_multipliers"]
    x = res.info["last_x"]
    np.testing.assert_allclose(res.info["last_y"], y_subproblem + res.info["mu"] * HS7.cons(x), rtol=1e-12)


# ---------------------------------------------------------------------- the l1 merit
def _merit_problem() -> Problem:
    def fun(x):
        return x[0] ** 4 + x[0] * x[1] + np.exp(x[2])

    def grad(x):
        return np.array([4 * x[0] ** 3 + x[1], x[0], np.exp(x[2])])

    def cons(x):
        return np.array([x @ x - 2.0, x[0] * x[2] - 0.3, x[1] + 0.5 * x[2]])

    def jac(x):
        return np.array([2 * x, [x[2], 0.0, x[0]], [0.0, 1.0, 0.5]])

    return Problem(fun, grad, np.zeros(3), cons, jac)


@pytest.mark.parametrize("seed", range(3))
def test_l1_directional_derivative_matches_finite_differences(seed):
    problem = _merit_problem()
    rng = np.random.default_rng(seed)
    x, d = rng.standard_normal(3), rng.standard_normal(3)
    merit = L1Merit(2.5)
    point = evaluate_point(problem, x, np.zeros(3))
    assert np.all(point.c != 0)

    def phi(t):
        return merit.value(evaluate_point(problem, x + t * d, np.zeros(3)))

    h = 1e-6
    fd = (phi(h) - phi(-h)) / (2 * h)
    assert merit.directional_derivative(point, d) == pytest.approx(fd, rel=1e-6, abs=1e-8)


def test_l1_one_sided_derivative_at_a_kink():
    problem = _merit_problem()
    x = np.array([0.2, -0.5, 1.0])  # x2 + x3 / 2 = 0: the third constraint is active
    point = evaluate_point(problem, x, np.zeros(3))
    assert point.c[2] == 0.0
    merit = L1Merit(3.0)
    for d in (np.array([0.3, 1.0, -0.2]), np.array([0.3, -1.0, -0.2])):
        h = 1e-7
        forward = (merit.value(evaluate_point(problem, x + h * d, np.zeros(3))) - merit.value(point)) / h
        assert merit.directional_derivative(point, d) == pytest.approx(forward, rel=1e-5)


@pytest.mark.parametrize("seed", range(3))
def test_l1_model_bounds_the_derivative_and_is_exact_on_linearized_feasible_steps(seed):
    problem = _merit_problem()
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(3)
    point = evaluate_point(problem, x, np.zeros(3))
    merit = L1Merit(1.7)
    d = rng.standard_normal(3)
    assert merit.directional_derivative(point, d) <= merit.model_directional_derivative(point, d) + 1e-12
    newton = np.linalg.solve(point.jac, -point.c)  # J d = -c (J square here)
    assert merit.model_directional_derivative(point, newton) == pytest.approx(
        merit.directional_derivative(point, newton), rel=1e-10)
    assert merit.model_reduction(point, d) == pytest.approx(
        -point.g @ d + 1.7 * (np.abs(point.c).sum() - np.abs(point.c + point.jac @ d).sum()), rel=1e-12)


# ---------------------------------------------------------------------- GMRES with per-iterate tests
def test_gmres_iterates_carry_their_true_residuals():
    rng = np.random.default_rng(7)
    K = rng.standard_normal((30, 30)) + 8 * np.eye(30)
    b = rng.standard_normal(30)
    seen: list[KrylovIterate] = []

    def accept(iterate):
        seen.append(iterate)
        return np.linalg.norm(iterate.residual) <= 1e-10 * np.linalg.norm(b)

    for restart in (None, 7):
        seen.clear()
        outcome = MonitoredGMRES(restart=restart).solve(lambda v: K @ v, b, accept)
        assert outcome.status is InnerStatus.REACHED
        for iterate in seen:
            np.testing.assert_allclose(iterate.residual, K @ iterate.z - b, atol=1e-9 * np.linalg.norm(b))
        norms = [np.linalg.norm(it.residual) for it in seen]
        if restart is None:
            assert np.all(np.diff(norms) <= 1e-12)  # full GMRES: monotone residuals
        np.testing.assert_allclose(outcome.iterate.z, np.linalg.solve(K, b), rtol=1e-8)


def test_gmres_statuses():
    K = np.diag(np.arange(1.0, 41.0))
    b = np.ones(40)
    capped = MonitoredGMRES(max_iter=5).solve(lambda v: K @ v, b, lambda it: False)
    assert capped.status is InnerStatus.MAX_ITER and capped.iterations == 5 and capped.iterate is not None
    exhausted = MonitoredGMRES().solve(lambda v: K @ v, b, lambda it: False)
    assert exhausted.status is InnerStatus.STAGNATED and exhausted.iterations <= 40
    target = MonitoredGMRES().solve(lambda v: K @ v, b, residual_target=1e-3 * np.linalg.norm(b))
    assert target.status is InnerStatus.REACHED
    assert np.linalg.norm(K @ target.iterate.z - b) <= 1e-3 * np.linalg.norm(b) * (1 + 1e-8)


# ---------------------------------------------------------------------- options
@pytest.mark.parametrize("method, options", [
    ("l1sqp-gmres", {"kappa": 1.5}),
    ("l1sqp-gmres", {"sigma": 0.5}),  # above tau (1 - epsilon)
    ("l1sqp-gmres", {"epsilon": 1.0}),
    ("l1sqp-gmres", {"gmres_restart": 0}),
    ("l1sqp-gmres", {"hessian_modification": "cholesky"}),
    ("l1sqp-gmres-adaptive", {"nu": 1.0}),
    ("l1sqp-gmres-adaptive", {"kappa1": 0.1}),  # a test-2 constant: not an option of the adaptive variant
    ("auglag", {"beta": 0.5}),
    ("auglag", {"tau_factor": 1.0}),
    ("auglag", {"mu0": -1.0}),
])
def test_invalid_options_are_rejected(method, options):
    with pytest.raises(OptionsError):
        solve(HS6, method, **options)


def test_defaults_are_the_prototype_parameters():
    fixed, adaptive, auglag = L1SQPOptions(), AdaptiveL1SQPOptions(), AugLagOptions()
    assert (fixed.mu, fixed.kappa, fixed.kappa1, fixed.epsilon, fixed.tau, fixed.sigma, fixed.eta) == \
        (1.0, 1.0, 0.1, 0.1, 0.1, 0.09, 1e-8)
    assert (adaptive.mu, adaptive.kappa, adaptive.nu) == (1.0, 0.1, 1.5)
    assert (auglag.mu0, auglag.tau0, auglag.mu_factor, auglag.tau_factor, auglag.inner_rtol, auglag.beta) == \
        (1.0, 0.1, 1.5, 0.1, 1e-4, 0.1)
    assert fixed.tol == adaptive.tol == auglag.tol == 1e-6
