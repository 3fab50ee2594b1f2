"""The PDE-constrained control problems: sizes, the stencil, derivatives and the exact KKT point."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from sketchsqp.errors import ProblemDefinitionError
from sketchsqp.problems.pde import (
    five_point_laplacian,
    load_pde,
    pde_control_problem,
    pde_names,
    target_state,
)

VARIANTS = ("linear", "semilinear")


def dense_five_point_laplacian(N: int) -> np.ndarray:
    """Hand-built stencil, row-major grid, zero Dirichlet boundary, h = 2 / (N + 1)."""
    h = 2.0 / (N + 1)
    lap = np.zeros((N * N, N * N))
    for i in range(N):
        for j in range(N):
            k = i * N + j
            lap[k, k] = -4.0 / h**2
            for di, dj in ((-1, 0), (1, 0), (0, -1), (0, 1)):
                if 0 <= i + di < N and 0 <= j + dj < N:
                    lap[k, (i + di) * N + (j + dj)] = 1.0 / h**2
    return lap


def hand_target(N: int) -> np.ndarray:
    values = np.empty(N * N)
    for i in range(1, N + 1):
        for j in range(1, N + 1):
            values[(i - 1) * N + (j - 1)] = (np.sin(4 + (0.1 / np.sqrt(15)) * (i - (N + 1) / 2))
                                             + np.cos(3 + (0.1 / np.sqrt(15)) * (j - (N + 1) / 2)))
    return values


def central_gradient(fn, x, step=1e-6):
    out = []
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = step
        out.append((np.asarray(fn(x + e)) - np.asarray(fn(x - e))) / (2 * step))
    return np.array(out)


def random_point(problem, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(problem.n), rng.standard_normal(problem.m)


@pytest.mark.parametrize("N", [1, 3, 5, 16])
@pytest.mark.parametrize("variant", VARIANTS)
def test_sizes_names_and_default_start(N, variant):
    problem = pde_control_problem(N, variant=variant)
    assert (problem.n, problem.m) == (2 * N * N, N * N)
    np.testing.assert_array_equal(problem.x0, np.ones(2 * N * N))
    np.testing.assert_array_equal(problem.y0, np.ones(N * N))
    assert problem.metadata["grid_size"] == N and problem.metadata["variant"] == variant
    assert problem.metadata["h"] == pytest.approx(2 / (N + 1))
    jac = problem.jac(problem.x0)
    hess = problem.hess(problem.x0, problem.y0)
    assert sp.issparse(jac) and jac.format == "csr" and jac.shape == (N * N, 2 * N * N)
    assert sp.issparse(hess) and hess.format == "csr" and hess.shape == (2 * N * N, 2 * N * N)


def test_laplacian_matches_hand_built_stencil():
    np.testing.assert_allclose(five_point_laplacian(4).toarray(), dense_five_point_laplacian(4), rtol=0, atol=1e-12)
    # And it is the first block of the Jacobian, the identity the second.
    jac = pde_control_problem(4).jac(np.ones(32)).toarray()
    np.testing.assert_allclose(jac[:, :16], dense_five_point_laplacian(4), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(jac[:, 16:], np.eye(16))


def test_laplacian_nonzero_count_is_linear_in_grid_points():
    N = 64
    assert five_point_laplacian(N).nnz == 5 * N * N - 4 * N  # each boundary side loses N neighbours


def test_target_follows_the_paper_formula():
    for N in (3, 6):
        np.testing.assert_allclose(target_state(N), hand_target(N), rtol=0, atol=1e-14)
    problem = pde_control_problem(6)
    at_target = np.concatenate([hand_target(6), np.zeros(36)])
    assert problem.fun(at_target) == 0.0


@pytest.mark.parametrize("N", [3, 5])
@pytest.mark.parametrize("variant", VARIANTS)
def test_values_match_independent_formulas(N, variant):
    problem = pde_control_problem(N, variant=variant)
    x, _ = random_point(problem, seed=1)
    w, u = x[: N * N], x[N * N:]
    expected_f = 0.5 * np.sum((w - hand_target(N)) ** 2) + 0.05 * np.sum(u**2)
    expected_c = dense_five_point_laplacian(N) @ w + u - (w**3 if variant == "semilinear" else 0.0)
    assert problem.fun(x) == pytest.approx(expected_f, rel=1e-13)
    np.testing.assert_allclose(problem.cons(x), expected_c, rtol=1e-13, atol=1e-12)


@pytest.mark.parametrize("N", [3, 5])
@pytest.mark.parametrize("variant", VARIANTS)
def test_derivatives_match_central_differences(N, variant):
    problem = pde_control_problem(N, variant=variant)
    x, y = random_point(problem, seed=2)
    np.testing.assert_allclose(problem.grad(x), central_gradient(problem.fun, x), rtol=1e-7, atol=1e-7)
    jac_fd = central_gradient(problem.cons, x).T  # rows: constraints
    np.testing.assert_allclose(problem.jac(x).toarray(), jac_fd, rtol=1e-7, atol=1e-6)

    def grad_lagrangian(z):
        return problem.grad(z) + problem.jac(z).T @ y

    rng = np.random.default_rng(3)
    hess = problem.hess(x, y)
    for _ in range(3):
        v = rng.standard_normal(problem.n)
        step = 1e-6
        hv_fd = (grad_lagrangian(x + step * v) - grad_lagrangian(x - step * v)) / (2 * step)
        np.testing.assert_allclose(hess @ v, hv_fd, rtol=1e-7, atol=1e-6)


def test_semilinear_hessian_is_the_documented_diagonal():
    problem = pde_control_problem(3, variant="semilinear")
    x, y = random_point(problem, seed=4)
    expected = np.concatenate([1 - 6 * y * x[:9], np.full(9, 0.1)])
    np.testing.assert_allclose(problem.hess(x, y).toarray(), np.diag(expected), rtol=1e-14)


def test_linear_exact_kkt_point():
    N = 6
    problem = pde_control_problem(N)
    n, m = problem.n, problem.m
    # The KKT system of the quadratic problem: H x + J^T y = -grad f(0), J x = 0.
    H = problem.hess(problem.x0, problem.y0)
    J = problem.jac(problem.x0)
    kkt = sp.bmat([[H, J.T], [J, None]], format="csc")
    rhs = np.concatenate([-problem.grad(np.zeros(n)), np.zeros(m)])
    solution = spsolve(kkt, rhs)
    x, y = solution[:n], solution[n:]
    # Recompute the KKT conditions from the hand-built stencil and target.
    lap = dense_five_point_laplacian(N)
    w, u = x[:m], x[m:]
    grad_l = np.concatenate([w - hand_target(N) + lap.T @ y, 0.1 * u + y])
    c = lap @ w + u
    assert np.linalg.norm(grad_l) < 1e-10 * max(1.0, np.linalg.norm(hand_target(N)))
    assert np.linalg.norm(c) < 1e-10
    assert problem.kkt_residual(x, y) < 1e-10
    # The solution is not trivial: the control does work to bring the state towards the target.
    assert np.linalg.norm(u) > 0.1


def newton_kkt_residuals(problem, steps):
    """Undamped Newton on the KKT system from the default start; the KKT residual before each step."""
    x, y = problem.x0.copy(), problem.y0.copy()
    residuals = []
    for _ in range(steps):
        residuals.append(problem.kkt_residual(x, y))
        J = problem.jac(x)
        kkt = sp.bmat([[problem.hess(x, y), J.T], [J, None]], format="csc")
        step = spsolve(kkt, -np.concatenate([problem.grad(x) + J.T @ y, problem.cons(x)]))
        x, y = x + step[: problem.n], y + step[problem.n:]
    residuals.append(problem.kkt_residual(x, y))
    return residuals


def test_newton_solves_the_linear_variant_in_one_step_and_the_semilinear_in_several():
    linear = newton_kkt_residuals(pde_control_problem(5), steps=1)
    assert linear[-1] < 1e-10 * linear[0]
    semilinear = newton_kkt_residuals(pde_control_problem(5, variant="semilinear"), steps=15)
    assert semilinear[1] > 1e-2 * semilinear[0]  # one step is far from enough
    assert semilinear[-1] < 1e-10 * semilinear[0]  # but Newton converges from the paper's start
    # At the start (x = y = 1) the state block of the Lagrangian Hessian, 1 - 6 y w, is negative.
    problem = pde_control_problem(5, variant="semilinear")
    assert np.all(problem.hess(problem.x0, problem.y0).diagonal()[:25] == -5.0)


def test_linear_variant_has_constant_shared_read_only_matrices():
    problem = pde_control_problem(3)
    x1, y1 = random_point(problem, seed=5)
    x2, y2 = random_point(problem, seed=6)
    jac = problem.jac(x1)
    np.testing.assert_array_equal(jac.toarray(), problem.jac(x2).toarray())
    np.testing.assert_array_equal(problem.hess(x1, y1).toarray(), problem.hess(x2, y2).toarray())
    with pytest.raises(ValueError):
        jac.data[0] = 1.0


def test_semilinear_jacobian_leaves_the_shared_pattern_untouched():
    problem = pde_control_problem(3, variant="semilinear")
    before = problem.jac(np.zeros(18)).toarray()
    problem.jac(np.full(18, 2.0))
    np.testing.assert_array_equal(problem.jac(np.zeros(18)).toarray(), before)


def test_custom_start():
    problem = pde_control_problem(3, x0=np.zeros(18), y0=np.full(9, 2.0))
    np.testing.assert_array_equal(problem.x0, np.zeros(18))
    np.testing.assert_array_equal(problem.y0, np.full(9, 2.0))
    with pytest.raises(ProblemDefinitionError, match="x0"):
        pde_control_problem(3, x0=np.zeros(5))
    with pytest.raises(ProblemDefinitionError, match="y0"):
        pde_control_problem(3, y0=np.zeros(18))


def test_names_round_trip():
    names = pde_names()
    assert "pde-3" in names and "pde-semilinear-3" in names
    assert pde_names(sizes=(4,), variants=("semilinear",)) == ["pde-semilinear-4"]
    for name in ("pde-3", "pde-semilinear-4"):
        problem = load_pde(name)
        assert problem.name == name
    assert load_pde("pde-linear-5").name == "pde-5"
    assert load_pde("pde-5", data_dir="/nowhere").name == "pde-5"  # same loader arguments as data families
    semilinear = load_pde("pde-semilinear-4")
    assert semilinear.metadata["variant"] == "semilinear" and semilinear.n == 32


@pytest.mark.parametrize("bad", ["pde", "pde-0", "pde-x", "pde-cubic-3", "logistic-a9a"])
def test_bad_names_are_refused(bad):
    with pytest.raises(ProblemDefinitionError, match="pde|grid size"):
        load_pde(bad)


@pytest.mark.parametrize("N", [0, -2, 2.5, True])
def test_bad_grid_sizes_are_refused(N):
    with pytest.raises(ProblemDefinitionError, match="grid size"):
        pde_control_problem(N)


def test_unknown_variant_is_refused():
    with pytest.raises(ProblemDefinitionError, match="variant"):
        pde_control_problem(3, variant="cubic")
