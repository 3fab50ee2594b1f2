"""The external references (IPOPT via cyipopt, SciPy trust-constr and SLSQP) behind the library's result type.

Every solve is checked against a known optimum, and the multipliers against the library's sign
convention by recomputing ``grad f + J^T y`` here from the test's own callables.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import aslinearoperator

from sketchsqp.errors import MissingDependencyError, OptionsError, ProblemDefinitionError
from sketchsqp.problem import Problem
from sketchsqp.solvers.external import (IpoptOptions, kkt_summary, least_squares_multipliers, method_specs,
                                        solve_ipopt, solve_scipy)
from sketchsqp.solvers.external.ipopt import SparsityPattern
from sketchsqp.solvers.external.kkt import judged_status
from sketchsqp.status import Status

TOL = 1e-6


# ---------------------------------------------------------------- problems with known solutions
class Case:
    """A problem's callables, its start and its solution (x*, f*, y* in L = f + y^T c)."""

    def __init__(self, name, fun, grad, cons, jac, lagrangian_hess, x0, x_opt, f_opt, y_opt):
        self.name, self.fun, self.grad, self.cons, self.jac = name, fun, grad, cons, jac
        self.lagrangian_hess = lagrangian_hess
        self.x0, self.x_opt, self.f_opt, self.y_opt = np.asarray(x0, float), np.asarray(x_opt, float), f_opt, y_opt

    def problem(self, *, exact_hessian=True, jac=None):
        return Problem(self.fun, self.grad, self.x0, self.cons, jac or self.jac,
                       lagrangian_hess=self.lagrangian_hess if exact_hessian else None, name=self.name)

    def lagrangian_gradient(self, x, y):
        return self.grad(x) + _dense(self.jac(x)).T @ y


def _dense(mat):
    return mat.toarray() if sp.issparse(mat) else np.asarray(mat)


def hs28():
    """min (x1+x2)^2 + (x2+x3)^2 s.t. x1 + 2x2 + 3x3 = 1; x* = (1/2, -1/2, 1/2), f* = 0, y* = 0."""
    q = np.array([[2.0, 2.0, 0.0], [2.0, 4.0, 2.0], [0.0, 2.0, 2.0]])
    a = np.array([[1.0, 2.0, 3.0]])
    return Case("HS28", lambda x: (x[0] + x[1]) ** 2 + (x[1] + x[2]) ** 2, lambda x: q @ x,
                lambda x: a @ x - 1.0, lambda x: a, lambda x, y: q, [-4.0, 1.0, 1.0], [0.5, -0.5, 0.5], 0.0, [0.0])


def hs6():
    """min (1-x1)^2 s.t. 10(x2 - x1^2) = 0; x* = (1, 1), f* = 0, y* = 0."""
    return Case("HS6", lambda x: (1 - x[0]) ** 2, lambda x: np.array([-2 * (1 - x[0]), 0.0]),
                lambda x: np.array([10 * (x[1] - x[0] ** 2)]), lambda x: np.array([[-20 * x[0], 10.0]]),
                lambda x, y: np.array([[2.0 - 20.0 * y[0], 0.0], [0.0, 0.0]]), [-1.2, 1.0], [1.0, 1.0], 0.0, [0.0])


def circle():
    """min x1 + x2 s.t. x1^2 + x2^2 = 2; x* = (-1, -1), f* = -2, y* = +1/2: a nonzero multiplier fixes the sign."""
    return Case("circle", lambda x: x[0] + x[1], lambda x: np.ones(2), lambda x: np.array([x @ x - 2.0]),
                lambda x: 2.0 * x[None, :], lambda x, y: 2.0 * y[0] * np.eye(2), [0.5, -1.5], [-1.0, -1.0], -2.0,
                [0.5])


def sparse_projection(n=40):
    """min ||x||^2 / 2 s.t. A x = b, A sparse bidiagonal: x* = A^T (A A^T)^{-1} b, y* = -(A A^T)^{-1} b.

    Jacobian and Hessian are scipy.sparse; the Hessian's sparse sum with an empty constraint part
    is the identity, so IPOPT is handed sparse structures for both.
    """
    a = sp.diags_array([np.ones(n - 1), -2.0 * np.ones(n - 1)], offsets=[0, 1], shape=(n - 1, n), format="csr")
    b = np.linspace(1.0, 2.0, n - 1)
    dense_a = a.toarray()
    y_opt = -np.linalg.solve(dense_a @ dense_a.T, b)
    x_opt = -dense_a.T @ y_opt
    return Case("sparse-projection", lambda x: 0.5 * x @ x, lambda x: x.copy(), lambda x: a @ x - b,
                lambda x: a, lambda x, y: sp.eye_array(n, format="csr"), np.zeros(n), x_opt, 0.5 * x_opt @ x_opt,
                y_opt)


CASES = [hs28, hs6, circle, sparse_projection]


def assert_solved(result, case):
    assert result.success, result.summary()
    assert result.status is Status.CONVERGED
    np.testing.assert_allclose(result.x, case.x_opt, atol=1e-5)
    np.testing.assert_allclose(result.fun, case.f_opt, atol=1e-8)
    np.testing.assert_allclose(result.y, case.y_opt, atol=1e-5)
    # Sign convention L = f + y^T c, recomputed here from the test's own callables.
    assert np.linalg.norm(case.lagrangian_gradient(result.x, result.y)) <= TOL
    independent = float(np.hypot(np.linalg.norm(case.lagrangian_gradient(result.x, result.y)),
                                 np.linalg.norm(case.cons(result.x))))
    assert result.kkt_residual == pytest.approx(independent, rel=1e-6, abs=1e-14)
    assert result.kkt_residual <= TOL
    assert result.nfev > 0 and result.ngev > 0 and result.ncev > 0 and result.njev > 0
    assert result.nit >= 1 and result.time >= 0.0


def assert_iteration_limit(result):
    assert not result.success
    assert result.status is Status.MAX_ITER
    assert result.nit <= 1
    assert result.kkt_residual > TOL


# ---------------------------------------------------------------- SciPy references
SCIPY_METHODS = ["trust-constr", "SLSQP"]


@pytest.mark.parametrize("method", SCIPY_METHODS)
@pytest.mark.parametrize("make_case", CASES, ids=lambda f: f.__name__)
def test_scipy_reference_reaches_known_optimum(method, make_case):
    case = make_case()
    result = solve_scipy(case.problem(), method, {"tol": TOL})
    assert_solved(result, case)
    assert result.method == f"scipy-{method.lower()}"
    if method == "SLSQP":
        assert result.nhev == 0  # BFGS: the problem's Hessian is never asked for
    else:
        assert result.nhev >= 1


@pytest.mark.parametrize("method", SCIPY_METHODS)
def test_scipy_reference_iteration_limit_is_reported(method):
    result = solve_scipy(hs6().problem(), method, {"max_iter": 1})
    assert_iteration_limit(result)


def test_trust_constr_with_hessian_vector_products_only():
    case = circle()  # no Hessian given: the problem offers finite-difference products (a LinearOperator)
    result = solve_scipy(case.problem(exact_hessian=False), "trust-constr", {"tol": TOL})
    assert_solved(result, case)


def test_scipy_reference_materialises_an_operator_jacobian():
    case = circle()
    problem = case.problem(jac=lambda x: aslinearoperator(2.0 * x[None, :]))
    assert_solved(solve_scipy(problem, "SLSQP", {"tol": TOL}), case)


def test_scipy_reference_stops_when_the_callback_asks():
    seen = []

    def callback(intermediate):
        seen.append(intermediate.nit)
        return intermediate.nit >= 2

    result = solve_scipy(circle().problem(), "trust-constr", callback=callback)
    assert result.status is Status.CALLBACK_STOP
    assert seen == [1, 2] and result.nit == 2


def test_scipy_reference_reports_a_user_exception():
    case = hs6()
    calls = {"n": 0}

    def fragile_fun(x):
        calls["n"] += 1
        if calls["n"] > 3:
            raise ArithmeticError("boom")
        return case.fun(x)

    problem = Problem(fragile_fun, case.grad, case.x0, case.cons, case.jac, lagrangian_hess=case.lagrangian_hess)
    result = solve_scipy(problem, "SLSQP")
    assert result.status is Status.CALLABLE_ERROR
    assert isinstance(result.exception, ArithmeticError)


def test_scipy_reference_rejects_unknown_method_and_options():
    with pytest.raises(OptionsError, match="trust-constr"):
        solve_scipy(hs6().problem(), "COBYLA")
    with pytest.raises(OptionsError, match="unknown option"):
        solve_scipy(hs6().problem(), "SLSQP", {"tolerance": 1e-3})


# ---------------------------------------------------------------- shared KKT verdict
def test_kkt_summary_recomputes_the_residual():
    case = circle()
    x, y = np.array([0.3, -1.1]), np.array([0.7])
    fun, kkt, optimality, violation = kkt_summary(case.problem(), x, y)
    gl, c = case.lagrangian_gradient(x, y), case.cons(x)
    assert fun == pytest.approx(case.fun(x))
    assert kkt == pytest.approx(np.hypot(np.linalg.norm(gl), np.linalg.norm(c)))
    assert optimality == pytest.approx(np.max(np.abs(gl)))
    assert violation == pytest.approx(np.max(np.abs(c)))


@pytest.mark.parametrize("kind", ["dense", "sparse", "operator"])
def test_least_squares_multipliers_match_the_normal_equations(kind):
    rng = np.random.default_rng(7)
    jac = rng.standard_normal((4, 9))
    gradient = rng.standard_normal(9)
    expected = np.linalg.solve(jac @ jac.T, -jac @ gradient)
    given = {"dense": jac, "sparse": sp.csr_array(jac), "operator": aslinearoperator(jac)}[kind]
    np.testing.assert_allclose(least_squares_multipliers(gradient, given), expected, rtol=1e-8, atol=1e-10)


def test_verdict_is_the_recomputed_residual_not_the_solver_claim():
    assert judged_status(Status.CONVERGED, 2e-6, 1e-6, "x")[0] is Status.EXTERNAL_FAILURE
    assert judged_status(Status.MAX_ITER, 5e-7, 1e-6, "x")[0] is Status.CONVERGED
    assert judged_status(Status.MAX_ITER, 5e-6, 1e-6, "x")[0] is Status.MAX_ITER
    assert judged_status(Status.INTERRUPTED, 0.0, 1e-6, "x")[0] is Status.INTERRUPTED
    assert judged_status(Status.CONVERGED, float("nan"), 1e-6, "x")[0] is Status.EXTERNAL_FAILURE


def test_sparsity_pattern_maps_values_and_rejects_new_entries():
    mat = sp.csr_array(np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]]))
    pattern = SparsityPattern.of_matrices([mat], (2, 3), lower=False, label="Jacobian")
    np.testing.assert_array_equal(pattern.values(mat), mat.toarray()[pattern.rows, pattern.cols])
    np.testing.assert_array_equal(pattern.values(mat.toarray()), [1.0, 2.0, 3.0])
    with pytest.raises(ProblemDefinitionError, match="outside the sparsity pattern"):
        pattern.values(sp.csr_array(np.array([[1.0, 5.0, 2.0], [0.0, 3.0, 0.0]])))


def test_method_specs_are_registered_as_deterministic_references():
    specs = {spec.name: spec for spec in method_specs()}
    assert set(specs) == {"ipopt", "scipy-trust-constr", "scipy-slsqp"}
    assert all(spec.external and not spec.randomized for spec in specs.values())
    result = specs["scipy-slsqp"].run(hs28().problem(), {"tol": TOL}, 0, None)
    assert result.success


# ---------------------------------------------------------------- IPOPT
def test_missing_cyipopt_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "cyipopt", None)  # makes `import cyipopt` fail
    with pytest.raises(MissingDependencyError, match=r"sketchsqp\[ipopt\]"):
        solve_ipopt(hs6().problem())


def skip_without_cyipopt():
    """Skip when cyipopt cannot be imported: not installed (the optional extra) or a broken build."""
    try:
        import cyipopt
    except ImportError as exc:  # ModuleNotFoundError, or a missing libipopt shared library
        pytest.skip(f"cyipopt is not importable ({exc}); install with .ci/install-ipopt.sh")
    return cyipopt


@pytest.fixture
def cyipopt():
    return skip_without_cyipopt()


@pytest.mark.parametrize("make_case", CASES, ids=lambda f: f.__name__)
def test_ipopt_reaches_known_optimum(cyipopt, make_case):
    case = make_case()
    result = solve_ipopt(case.problem(), {"tol": TOL})
    assert_solved(result, case)
    assert result.info["hessian"] == "exact"
    assert result.info["external_status"] == "Solve_Succeeded"


def test_ipopt_hands_sparse_structures_to_ipopt(cyipopt):
    case = sparse_projection(40)
    result = solve_ipopt(case.problem(), {"tol": TOL})
    assert result.info["jacobian_nnz"] == 2 * 39  # the bidiagonal's entries, not 39 * 40
    assert result.info["hessian_nnz"] == 40  # the identity's diagonal, lower triangle only


def test_ipopt_iteration_limit_is_reported(cyipopt):
    assert_iteration_limit(solve_ipopt(hs6().problem(), IpoptOptions(max_iter=1)))


def test_ipopt_uses_limited_memory_for_an_operator_hessian(cyipopt):
    case = circle()
    result = solve_ipopt(case.problem(exact_hessian=False), {"tol": TOL})
    assert_solved(result, case)
    assert "limited-memory" in result.info["hessian"]
    assert result.nhev == 0


def test_ipopt_needs_an_explicit_jacobian(cyipopt):
    case = circle()
    problem = case.problem(jac=lambda x: aslinearoperator(2.0 * x[None, :]))
    with pytest.raises(ProblemDefinitionError, match="explicit constraint Jacobian"):
        solve_ipopt(problem)


def test_ipopt_stops_when_the_callback_asks(cyipopt):
    result = solve_ipopt(hs6().problem(), callback=lambda intermediate: intermediate.nit >= 2)
    assert result.status is Status.CALLBACK_STOP
    assert result.nit == 2


def test_ipopt_reports_a_user_exception(cyipopt):
    case = hs6()
    calls = {"n": 0}

    def fragile_grad(x):
        calls["n"] += 1
        if calls["n"] > 3:
            raise ArithmeticError("boom")
        return case.grad(x)

    problem = Problem(case.fun, fragile_grad, case.x0, case.cons, case.jac, lagrangian_hess=case.lagrangian_hess)
    result = solve_ipopt(problem)
    assert result.status is Status.CALLABLE_ERROR
    assert isinstance(result.exception, ArithmeticError)


def test_ipopt_rejects_bad_raw_options(cyipopt):
    with pytest.raises(OptionsError, match="no_such_option"):
        solve_ipopt(hs6().problem(), {"ipopt_options": {"no_such_option": 1}})


def test_ipopt_raw_options_reach_ipopt(cyipopt):
    result = solve_ipopt(hs6().problem(), {"ipopt_options": {"max_iter": 1}})
    assert result.status is Status.MAX_ITER


def test_ipopt_backtracks_from_non_finite_values(cyipopt):
    case = circle()
    rejected = []

    def fun_undefined_left_of_the_solution(x):
        if x[0] < -1.2:
            rejected.append(x.copy())
            return float("nan")
        return case.fun(x)

    problem = Problem(fun_undefined_left_of_the_solution, case.grad, case.x0, case.cons, case.jac,
                      lagrangian_hess=case.lagrangian_hess)
    result = solve_ipopt(problem, {"tol": TOL})
    assert rejected, "the test needs IPOPT to try a point where f is undefined"
    assert_solved(result, case)


# ---------------------------------------------------------------- limits and interruptions, every reference
REFERENCES = {
    "ipopt": lambda problem, options: solve_ipopt(problem, options),
    "trust-constr": lambda problem, options: solve_scipy(problem, "trust-constr", options),
    "SLSQP": lambda problem, options: solve_scipy(problem, "SLSQP", options),
}


def _reference(name):
    if name == "ipopt":
        skip_without_cyipopt()
    return REFERENCES[name]


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_reference_time_limit_is_reported(name):
    result = _reference(name)(hs6().problem(), {"time_limit": 1e-9})  # exceeded by the first check
    assert result.status is Status.TIME_LIMIT
    assert np.all(np.isfinite(result.x))


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_reference_keyboard_interrupt_returns_the_last_iterate(name):
    case = hs6()
    calls = {"n": 0}

    def interrupted_fun(x):
        calls["n"] += 1
        if calls["n"] == 5:  # one Ctrl-C, in the middle of the run
            raise KeyboardInterrupt
        return case.fun(x)

    problem = Problem(interrupted_fun, case.grad, case.x0, case.cons, case.jac, lagrangian_hess=case.lagrangian_hess)
    result = _reference(name)(problem, None)
    assert result.status is Status.INTERRUPTED
    assert np.all(np.isfinite(result.x)) and result.y.shape == (1,)


def test_ipopt_on_a_sparse_problem_whose_hessian_pattern_varies():
    """S2MPJ stores only nonzeros: HS77's Hessian has entries that vanish at x0 and appear later.
    The pattern handed to IPOPT must cover them, or IPOPT works with a wrong Hessian and diverges."""
    pytest.importorskip("cyipopt")
    from sketchsqp.problems.cutest import load_cutest

    problem = load_cutest("HS77")
    res = solve_ipopt(problem, {"tol": 1e-6})
    assert res.status is Status.CONVERGED
    assert res.fun == pytest.approx(0.24150513, rel=1e-6)
