"""The classical test problems: derivatives, published solutions, and local solves from x0."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.optimize import NonlinearConstraint, minimize

from sketchsqp.problem import Problem
from sketchsqp.problems.classical import (
    AffinePowerSum,
    ClassicalProblem,
    classical_names,
    classical_problems,
    get_classical,
    load_classical,
)

EXPECTED_NAMES = (
    [f"HS{k}" for k in (6, 7, 8, 9, 26, 27, 28, 39, 40, 42, 46, 47, 48, 49, 50, 51, 52, 56, 61, 77, 78, 79)]
    + ["HS100LNP"] + [f"BT{k}" for k in range(1, 13)] + ["MARATOS-NW"]
)
NAMES = classical_names()
WITH_SOLUTION = [p.name for p in classical_problems() if p.x_opt is not None]


def _central_difference(func, x: np.ndarray) -> np.ndarray:
    """Central-difference derivative of ``func`` (vector or scalar valued): columns are d/dx_j."""
    step = np.cbrt(np.finfo(float).eps) * np.maximum(1.0, np.abs(x))
    columns = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = step[j]
        columns.append((np.asarray(func(x + e)) - np.asarray(func(x - e))) / (2.0 * step[j]))
    return np.stack(columns, axis=-1)


def _assert_close(actual, expected, label: str, rtol: float = 1e-6) -> None:
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    error = float(np.max(np.abs(np.asarray(actual) - expected), initial=0.0))
    assert error <= rtol * scale, f"{label}: max error {error:.3e} (scale {scale:.3e})"


def _test_points(problem: ClassicalProblem) -> list[np.ndarray]:
    rng = np.random.default_rng(20230611 + problem.n * 31 + problem.m)
    return [problem.x0.copy(), problem.x0 + rng.normal(size=problem.n)]


# ------------------------------------------------------------------------------ the registry


def test_names_cover_the_listed_problems_in_order():
    assert NAMES == EXPECTED_NAMES


def test_unknown_name_raises_key_error_listing_names():
    with pytest.raises(KeyError, match="HS28") as info:
        get_classical("HS999")
    assert "HS999" in str(info.value)


def test_lookup_is_case_insensitive_and_shared():
    assert get_classical("hs28") is get_classical("HS28")
    assert [p.name for p in classical_problems()] == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_fields_are_consistent(name):
    p = get_classical(name)
    assert p.name == name
    assert p.source
    assert p.x0.shape == (p.n,) and p.y0.shape == (p.m,)
    assert np.all(p.y0 == 0.0)
    assert 1 <= p.m <= p.n
    assert np.isfinite(p.f_opt)
    assert p.x_opt is None or p.x_opt.shape == (p.n,)
    assert isinstance(p.reachable, bool)
    assert p.reachable or p.note  # an unreachable optimum must say why
    # Shared problem data is read-only: a caller cannot change x0 for everybody.
    with pytest.raises(ValueError):
        p.x0[0] = 1.0
    with pytest.raises(AttributeError):
        p.f_opt = 0.0  # type: ignore[misc]


# ----------------------------------------------------------------------------- derivatives


@pytest.mark.parametrize("name", NAMES)
def test_values_at_x0_have_the_right_shapes(name):
    p = get_classical(name)
    x, y = p.x0, np.ones(p.m)
    assert isinstance(p.fun(x), float)
    assert p.grad(x).shape == (p.n,)
    assert p.hess(x).shape == (p.n, p.n)
    assert p.cons(x).shape == (p.m,)
    assert p.jac(x).shape == (p.m, p.n)
    assert p.cons_hess(x, y).shape == (p.n, p.n)
    np.testing.assert_allclose(p.hess(x), p.hess(x).T, atol=1e-12)
    np.testing.assert_allclose(p.cons_hess(x, y), p.cons_hess(x, y).T, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_first_derivatives_match_central_differences(name):
    p = get_classical(name)
    for x in _test_points(p):
        _assert_close(p.grad(x), _central_difference(p.fun, x), f"{name} grad at {x}")
        _assert_close(p.jac(x), _central_difference(p.cons, x), f"{name} jac at {x}")


@pytest.mark.parametrize("name", NAMES)
def test_second_derivatives_match_central_differences(name):
    p = get_classical(name)
    rng = np.random.default_rng(7)
    y = rng.normal(size=p.m)
    for x in _test_points(p):
        _assert_close(p.hess(x), _central_difference(p.grad, x), f"{name} hess at {x}")
        # sum_i y_i hess c_i is the derivative of J(x)^T y.
        _assert_close(p.cons_hess(x, y), _central_difference(lambda z: p.jac(z).T @ y, x),
                      f"{name} cons_hess at {x}")


def test_affine_power_sum_matches_its_formula():
    # 2 (x0 - 3 x2 - 1)^3 - 0.5 x1 at a point: value, gradient and Hessian by hand.
    s = AffinePowerSum(3, [(2.0, {0: 1.0, 2: -3.0}, 1.0, 3), (-0.5, {1: 1.0}, 0.0, 1)])
    x = np.array([2.0, 4.0, 0.5])
    r = x[0] - 3.0 * x[2] - 1.0
    assert s.fun(x) == pytest.approx(2.0 * r ** 3 - 2.0)
    np.testing.assert_allclose(s.grad(x), [6.0 * r ** 2, -0.5, -18.0 * r ** 2])
    a = np.array([1.0, 0.0, -3.0])
    np.testing.assert_allclose(s.hess(x), 12.0 * r * np.outer(a, a))


# ------------------------------------------------------------------ the published solutions


@pytest.mark.parametrize("name", WITH_SOLUTION)
def test_published_solution_is_a_kkt_point_with_the_published_value(name):
    p = get_classical(name)
    x = p.x_opt
    # Rounded published points carry an error of x_opt_accuracy per entry; everything computed
    # from them is compared at that accuracy (times the size of the derivative that carries it).
    slack = p.x_opt_accuracy * np.sqrt(p.n)
    g, J = p.grad(x), p.jac(x)

    assert abs(p.fun(x) - p.f_opt) <= 1e-5 * max(1.0, abs(p.f_opt)) + 10.0 * slack * np.linalg.norm(g)

    violation = np.linalg.norm(p.cons(x))
    assert violation <= 1e-12 + 10.0 * slack * np.linalg.norm(J, 2), f"||c(x_opt)|| = {violation:.2e}"

    y = np.linalg.lstsq(J.T, -g, rcond=None)[0]
    residual = np.linalg.norm(g + J.T @ y)
    curvature = np.linalg.norm(p.hess(x) + p.cons_hess(x, y), 2)
    assert residual <= 1e-10 * (1.0 + np.linalg.norm(g)) + 10.0 * slack * curvature, (
        f"||grad f + J^T y|| = {residual:.2e}"
    )


# --------------------------------------------------------------- local solves from x0


def _local_solves(p: ClassicalProblem):
    """SLSQP, then trust-constr (exact Hessians) when SLSQP does not reach f_opt."""
    with warnings.catch_warnings():
        # trust-constr warns when it meets a rank-deficient Jacobian (HS61 at x0) and carries on
        # with an SVD; the outcome is judged by the result.
        warnings.filterwarnings("ignore", message="Singular Jacobian matrix", category=UserWarning)
        result = minimize(p.fun, p.x0, jac=p.grad, method="SLSQP",
                          constraints=[{"type": "eq", "fun": p.cons, "jac": p.jac}],
                          options={"maxiter": 500, "ftol": 1e-12})
        yield "SLSQP", result
        constraint = NonlinearConstraint(p.cons, 0.0, 0.0, jac=p.jac, hess=p.cons_hess)
        result = minimize(p.fun, p.x0, jac=p.grad, hess=p.hess, method="trust-constr",
                          constraints=[constraint], options={"maxiter": 1000, "gtol": 1e-10, "xtol": 1e-14})
        yield "trust-constr", result


@pytest.mark.parametrize("name", NAMES)
def test_a_local_method_from_x0_reaches_f_opt_when_reachable(name):
    p = get_classical(name)
    tol = 1e-5 * max(1.0, abs(p.f_opt))
    outcomes = []
    for method, result in _local_solves(p):
        feasible = np.linalg.norm(p.cons(result.x)) <= 1e-6
        reached = feasible and abs(result.fun - p.f_opt) <= tol
        outcomes.append(f"{method}: f = {result.fun:.10g}, ||c|| = {np.linalg.norm(p.cons(result.x)):.1e}")
        if reached:
            break
    assert reached == p.reachable, f"{name}: f_opt = {p.f_opt}, reachable = {p.reachable}; " + "; ".join(outcomes)


# ------------------------------------------------------------------------- to_problem


@pytest.mark.parametrize("name", NAMES)
def test_to_problem_carries_the_same_functions_and_metadata(name):
    spec = get_classical(name)
    problem = load_classical(name)
    assert isinstance(problem, Problem)
    assert (problem.n, problem.m, problem.name) == (spec.n, spec.m, spec.name)
    np.testing.assert_array_equal(problem.x0, spec.x0)
    np.testing.assert_array_equal(problem.y0, np.zeros(spec.m))
    assert problem.hessian_source == "hess+cons_hess"
    assert problem.metadata["f_opt"] == spec.f_opt
    assert problem.metadata["source"] == spec.source
    if spec.x_opt is None:
        assert problem.metadata["x_opt"] is None
    else:
        np.testing.assert_array_equal(problem.metadata["x_opt"], spec.x_opt)
    x = spec.x0 + 0.25
    y = np.linspace(-1.0, 1.0, spec.m)
    assert problem.fun(x) == spec.fun(x)
    np.testing.assert_array_equal(problem.cons(x), spec.cons(x))
    np.testing.assert_array_equal(problem.jac(x), spec.jac(x))
    np.testing.assert_allclose(problem.hess(x, y), spec.hess(x) + spec.cons_hess(x, y), rtol=1e-15, atol=1e-15)
