"""AdaSketch-Newton (Gaussian and Kaczmarz) on the classical set: KKT residual <= 1e-6 recomputed
independently of the solver, the published optimum, and agreement with SciPy's trust-constr -- on
every problem, with the paper's accuracy condition and with the practical one.

The degenerate problems (HS26, HS46, HS47, HS49: singular reduced Hessian at x*) and those whose
iterates pass where J J^T is nearly singular (BT1, BT7) are solved thanks to the subspace
extrapolation of the sketch solvers (tests/test_subspace_extrapolation.py shows the plain iteration
failing there).
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest
from scipy.optimize import NonlinearConstraint
from scipy.optimize import minimize as scipy_minimize

from sketchsqp import Status, solve_problem
from sketchsqp.problems.classical import classical_names, get_classical

TOL = 1e-6
METHODS = ["adasketch-gaussian", "adasketch-kaczmarz"]


def kkt_from_spec(spec, x, y) -> float:
    """The KKT residual from the problem's own formulas, not from the solver's bookkeeping."""
    g = spec.grad(x) + spec.jac(x).T @ y
    return float(np.hypot(np.linalg.norm(g), np.linalg.norm(spec.cons(x))))


_CACHE: dict = {}


def solved(name, method, accuracy="practical", time_limit=60.0):
    key = (name, method, accuracy)
    if key not in _CACHE:
        options = {"tol": TOL, "accuracy": accuracy, "time_limit": time_limit}
        _CACHE[key] = solve_problem(get_classical(name).to_problem(), method, options=options, seed=2023)
    return _CACHE[key]


# Other local minima named in the problem notes (a local method may legitimately stop there).
OTHER_LOCAL_MINIMA = {"BT7": [360.3797671743641]}


def assert_solved(spec, res):
    assert res.status is Status.CONVERGED, res.summary()
    assert kkt_from_spec(spec, res.x, res.y) <= TOL * (1 + 1e-8)
    if spec.reachable:
        # To first order f(x) - f* = -y^T c(x): a KKT residual of 1e-6 with large multipliers
        # (BT1: y = -99.5) allows |y| ||c|| of objective error on top of the 1e-5 relative match.
        slack = float(np.abs(res.y) @ np.abs(spec.cons(res.x)))
        targets = [spec.f_opt, *OTHER_LOCAL_MINIMA.get(spec.name, [])]
        assert min(abs(res.fun - t) - 1e-5 * max(1.0, abs(t)) for t in targets) <= 2 * slack, res.fun


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", classical_names())
def test_practical_accuracy(name, method):
    assert_solved(get_classical(name), solved(name, method))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", classical_names())
def test_paper_accuracy_condition(name, method):
    assert_solved(get_classical(name), solved(name, method, accuracy="theory"))


@pytest.mark.parametrize("name", classical_names())
def test_agrees_with_scipy_trust_constr(name):
    spec = get_classical(name)
    ours = solved(name, "adasketch-kaczmarz")
    assert ours.success, ours.summary()
    con = NonlinearConstraint(spec.cons, 0.0, 0.0, jac=spec.jac, hess=spec.cons_hess)
    with np.errstate(all="ignore"), _quiet():
        ref = scipy_minimize(spec.fun, spec.x0, jac=spec.grad, hess=spec.hess, constraints=[con],
                             method="trust-constr", options={"gtol": 1e-10, "xtol": 1e-14, "maxiter": 5000})
    ref_y = np.asarray(ref.v[0])  # trust-constr's v has our sign: grad f + J^T v = 0
    ref_kkt = kkt_from_spec(spec, ref.x, ref_y)
    if ref_kkt > 1e-5:
        pytest.skip(f"trust-constr stopped at KKT residual {ref_kkt:.1e} on {name}")
    slack = 2 * float(np.abs(ours.y) @ np.abs(spec.cons(ours.x)) + np.abs(ref_y) @ np.abs(spec.cons(ref.x)))
    if np.linalg.norm(ref.x - ours.x) > 1e-3 * max(1.0, np.linalg.norm(ref.x)):
        # Different local solutions of a nonconvex problem: both are KKT points; each must be one of
        # the known local minima.
        known = [spec.f_opt, *OTHER_LOCAL_MINIMA.get(spec.name, [])]
        for value in (ours.fun, ref.fun):
            assert min(abs(value - t) - 1e-5 * max(1.0, abs(t)) for t in known) <= slack, (value, known)
        return
    assert abs(ours.fun - ref.fun) <= 1e-5 * max(1.0, abs(ref.fun)) + slack
    if np.linalg.svd(np.atleast_2d(spec.jac(ours.x)), compute_uv=False)[-1] > 1e-3:  # multipliers unique
        np.testing.assert_allclose(ours.y, ref_y, rtol=1e-3, atol=1e-4)


@contextlib.contextmanager
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # trust-constr warns on singular Jacobians (HS61, BT8)
        yield
