"""Fuzzing: random problems with injected faults never crash the solver or return a wrong success.

The number of examples is ``SKETCHSQP_FUZZ_EXAMPLES`` (default 60 in CI); a long local run uses
e.g. ``SKETCHSQP_FUZZ_EXAMPLES=10000 pytest tests/test_fuzz.py``.
"""

from __future__ import annotations

import os

import numpy as np
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sketchsqp import OptionsError, Problem, ProblemDefinitionError, Status, solve_problem

EXAMPLES = int(os.environ.get("SKETCHSQP_FUZZ_EXAMPLES", "60"))
DOCUMENTED_STATUSES = set(Status) - {Status.IN_PROGRESS, Status.EXTERNAL_FAILURE}
FAULTS = ["none", "nan", "inf", "raise", "shape"]


class Fault(Exception):
    """Raised by an injected faulty callable."""


@st.composite
def fuzz_cases(draw):
    n = draw(st.integers(1, 7))
    m = draw(st.integers(0, n))
    return {
        "n": n,
        "m": m,
        "seed": draw(st.integers(0, 2**31 - 1)),
        "nonlinear": draw(st.booleans()),
        "sparse": draw(st.booleans()),
        "duplicate_row": draw(st.booleans()) and m >= 2,
        "fault": draw(st.sampled_from(FAULTS)),
        "fault_target": draw(st.sampled_from(["fun", "grad", "cons", "jac", "hess"])),
        "fault_at": draw(st.integers(1, 12)),
        "method": draw(st.sampled_from(["adasketch-gaussian", "adasketch-kaczmarz"])),
        "accuracy": draw(st.sampled_from(["theory", "practical"])),
        "x0_scale": draw(st.sampled_from([0.1, 1.0, 10.0])),
    }


def build(case):
    rng = np.random.default_rng(case["seed"])
    n, m = case["n"], case["m"]
    Q = rng.standard_normal((n, n))
    Q = Q @ Q.T / n + (0.1 if rng.random() < 0.7 else -0.5) * np.eye(n)  # sometimes indefinite
    q = rng.standard_normal(n)
    A = rng.standard_normal((m, n))
    if case["duplicate_row"]:
        A[1] = A[0]
    b = rng.standard_normal(m)
    quartic = 0.1 if case["nonlinear"] else 0.0
    curv = 0.5 if case["nonlinear"] else 0.0
    calls = {name: 0 for name in ("fun", "grad", "cons", "jac", "hess")}

    def faulty(name, value):
        calls[name] += 1
        if case["fault"] == "none" or name != case["fault_target"] or calls[name] != case["fault_at"]:
            return value
        kind = case["fault"]
        if kind == "raise":
            raise Fault(f"injected in {name}")
        if kind == "shape":
            return np.ones(np.shape(value)[0] + 1) if np.ndim(value) else np.ones(2)
        arr = np.array(value, dtype=float, copy=True)
        bad = np.nan if kind == "nan" else np.inf
        if arr.ndim == 0:
            return bad
        arr.flat[0] = bad
        return arr

    def fun(x):
        return faulty("fun", float(0.5 * x @ Q @ x + q @ x + quartic * np.sum(x**4)))

    def grad(x):
        return faulty("grad", Q @ x + q + 4 * quartic * x**3)

    def cons(x):
        return faulty("cons", A @ x - b + curv * np.sin(x[:m]))

    def jac(x):
        J = A.copy()
        J[np.arange(m), np.arange(m)] += curv * np.cos(x[:m])
        out = sp.csr_array(J) if case["sparse"] else J
        return faulty("jac", out)

    def hess(x, y):
        H = Q + 12 * quartic * np.diag(x**2)
        if m:
            H = H.copy()
            H[np.arange(m), np.arange(m)] -= curv * y * np.sin(x[:m])
        return faulty("hess", H)

    x0 = case["x0_scale"] * rng.standard_normal(n)
    if m == 0:
        return Problem(fun, grad, x0, lagrangian_hess=hess, name="fuzz"), (grad, None, None)
    return Problem(fun, grad, x0, cons, jac, lagrangian_hess=hess, m=m, name="fuzz"), (grad, cons, jac)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(case=fuzz_cases())
def test_fuzz_no_crash_no_false_success(case):
    problem, (grad, cons, jac) = build(case)
    options = {"tol": 1e-6, "max_iter": 25, "max_inner_iter": 3000, "time_limit": 5.0, "accuracy": case["accuracy"]}
    try:
        result = solve_problem(problem, case["method"], options=options, seed=case["seed"])
    except (ProblemDefinitionError, OptionsError):  # documented validation errors only
        return
    assert result.status in DOCUMENTED_STATUSES
    assert result.success == (result.status is Status.CONVERGED)
    assert np.all(np.isfinite(result.x)) and result.x.shape == (case["n"],)
    assert result.y.shape == (case["m"],)
    if result.status is Status.CALLABLE_ERROR:
        assert result.exception is not None
    if result.success:
        # recompute the KKT residual from clean callables (no fault is injected twice)
        case_clean = dict(case, fault="none")
        _, (g_clean, c_clean, j_clean) = build(case_clean)
        gl = g_clean(result.x)
        c = np.zeros(0)
        if case["m"]:
            J = j_clean(result.x)
            J = J.toarray() if sp.issparse(J) else J
            gl = gl + J.T @ result.y
            c = c_clean(result.x)
        assert np.hypot(np.linalg.norm(gl), np.linalg.norm(c)) <= 1e-6 * (1 + 1e-9)
