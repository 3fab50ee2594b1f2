"""AdaSketch-Newton (Gaussian and Kaczmarz) on the classical set: KKT residual <= 1e-6 recomputed
independently of the solver, the published optimum, and agreement with SciPy's trust-constr.

Pure single-vector sketching converges at a rate set by cond(K)^2, so it cannot reach 1e-6 where the
KKT matrix becomes nearly singular along the way.  Those problems are listed in
``SKETCHING_LIMITS`` with the reason; for them the tests assert a clean non-success status with a
finite best point, and that the same problems are solved by the Krylov/direct inner solvers.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest
from scipy.optimize import NonlinearConstraint
from scipy.optimize import minimize as scipy_minimize

from sketchsqp import METHODS as REGISTERED, Status, solve_problem
from sketchsqp.problems.classical import classical_names, get_classical

TOL = 1e-6
METHODS = ["adasketch-gaussian", "adasketch-kaczmarz"]
DEGENERATE = "singular reduced Hessian at x* (quartic objective): K is nearly singular near the solution"
SKETCHING_LIMITS = {
    ("HS26", "adasketch-gaussian"): DEGENERATE, ("HS26", "adasketch-kaczmarz"): DEGENERATE,
    ("HS46", "adasketch-gaussian"): DEGENERATE, ("HS46", "adasketch-kaczmarz"): DEGENERATE,
    ("HS47", "adasketch-gaussian"): DEGENERATE, ("HS47", "adasketch-kaczmarz"): DEGENERATE,
    ("HS49", "adasketch-gaussian"): DEGENERATE, ("HS49", "adasketch-kaczmarz"): DEGENERATE,
    ("BT1", "adasketch-gaussian"): "x0 is near the origin where J = 2x vanishes: cond(K) ~ 1e4",
    ("BT7", "adasketch-gaussian"): "iterates reach points where J J^T is nearly singular",
    ("BT7", "adasketch-kaczmarz"): "iterates reach points where J J^T is nearly singular",
}
# The paper's accuracy condition is checked on problems where its tiny inner tolerances stay cheap.
THEORY_SUBSET = ["HS8", "HS28", "HS40", "HS42", "HS48", "HS56", "HS61", "HS78", "HS79", "BT5", "BT10", "MARATOS-NW"]


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
    spec = get_classical(name)
    if (name, method) in SKETCHING_LIMITS:
        res = solved(name, method, time_limit=3.0)
        assert not res.success
        assert res.status in (Status.TIME_LIMIT, Status.MAX_ITER, Status.INNER_SOLVER_FAILED,
                              Status.LINE_SEARCH_FAILED, Status.PENALTY_SAFEGUARD)
        assert np.all(np.isfinite(res.x))
        assert res.kkt_residual == pytest.approx(kkt_from_spec(spec, res.x, res.y), rel=1e-8)
        return
    assert_solved(spec, solved(name, method))


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", THEORY_SUBSET)
def test_paper_accuracy_condition(name, method):
    assert_solved(get_classical(name), solved(name, method, accuracy="theory"))


@pytest.mark.parametrize("name", sorted({name for name, _ in SKETCHING_LIMITS}))
@pytest.mark.parametrize("method", ["adasketch-direct", "adasketch-minres"])
def test_sketching_limits_are_solved_by_other_inner_solvers(name, method):
    if method not in REGISTERED:
        pytest.fail(f"{method} is not registered")
    spec = get_classical(name)
    res = solve_problem(spec.to_problem(), method, options={"tol": TOL}, seed=2023)
    assert_solved(spec, res)


@pytest.mark.parametrize("name", classical_names())
def test_agrees_with_scipy_trust_constr(name):
    spec = get_classical(name)
    ours = solved(name, "adasketch-kaczmarz")
    if not ours.success:
        ours = solve_problem(spec.to_problem(), "adasketch-direct", options={"tol": TOL}, seed=2023)
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
