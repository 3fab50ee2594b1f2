"""Gaussian and Kaczmarz sketch-and-project solve random well-conditioned KKT systems."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sketchsqp.linalg import GaussianSketchSolver, InnerStatus, KaczmarzRowSketch, KaczmarzSolver, KKTOperator


def random_kkt(seed: int, n: int, m: int):
    """B = Q diag(1..3) Q^T (SPD), J with singular values in [1, 2]: cond(K) stays moderate."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    B = q @ np.diag(rng.uniform(1.0, 3.0, n)) @ q.T
    u, _ = np.linalg.qr(rng.standard_normal((m, m)))
    v, _ = np.linalg.qr(rng.standard_normal((n, m)))
    J = u @ np.diag(rng.uniform(1.0, 2.0, m)) @ v.T
    rhs = rng.standard_normal(n + m)
    return KKTOperator(B, J), rhs


SOLVERS = {
    "gaussian": GaussianSketchSolver(),
    "kaczmarz-uniform": KaczmarzSolver(KaczmarzRowSketch("uniform")),
    "kaczmarz-row-norm": KaczmarzSolver(KaczmarzRowSketch("row-norm")),
    # the paper's plain iteration, without the subspace correction
    "gaussian-plain": GaussianSketchSolver(subspace_memory=0),
    "kaczmarz-plain": KaczmarzSolver(KaczmarzRowSketch("uniform"), subspace_memory=0),
}


@pytest.mark.parametrize("name", sorted(SOLVERS))
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 12), m_frac=st.floats(0.1, 0.9))
def test_reaches_requested_residual(name, seed, n, m_frac):
    m = max(1, min(n - 1, int(round(m_frac * n)))) if n > 1 else 1
    kkt, rhs = random_kkt(seed, n, m)
    solver = SOLVERS[name]
    state = solver.start(kkt, rhs, np.random.default_rng(seed))
    target = 1e-8 * np.linalg.norm(rhs)
    outcome = solver.run(state, target, max_iter=400_000, deadline=math.inf)
    assert outcome.status is InnerStatus.REACHED
    # residual recomputed from the dense matrix, not the solver's bookkeeping
    K = kkt.to_dense()
    assert np.linalg.norm(K @ state.z - rhs) <= 1.01 * target
    np.testing.assert_allclose(state.z, np.linalg.solve(K, rhs), atol=1e-6 * max(1, np.linalg.norm(state.z)))


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_run_continues_from_current_iterate(name):
    kkt, rhs = random_kkt(7, 8, 3)
    solver = SOLVERS[name]
    state = solver.start(kkt, rhs, np.random.default_rng(0))
    first = solver.run(state, 1e-2 * np.linalg.norm(rhs), 10**6, math.inf)
    used = state.iterations
    second = solver.run(state, 1e-9 * np.linalg.norm(rhs), 10**6, math.inf)
    assert first.status is second.status is InnerStatus.REACHED
    assert state.iterations == used + second.iterations and second.iterations > 0


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_same_seed_same_iterates_and_cap_is_honoured(name):
    kkt, rhs = random_kkt(11, 6, 2)
    solver = SOLVERS[name]
    runs = []
    for seed in (5, 5, 6):
        state = solver.start(kkt, rhs, np.random.default_rng(seed))
        outcome = solver.run(state, 0.0, max_iter=37, deadline=math.inf)
        assert outcome.status in (InnerStatus.MAX_ITER, InnerStatus.STAGNATED)
        assert outcome.iterations <= 37
        runs.append(state.z.copy())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_kaczmarz_on_sparse_storage_matches_dense():
    import scipy.sparse as sp

    kkt_dense, rhs = random_kkt(3, 10, 4)
    B = sp.csr_array(kkt_dense.hessian_block)
    J = sp.csr_array(kkt_dense.jacobian)
    kkt_sparse = KKTOperator(B, J, dense_threshold=0)
    assert not kkt_sparse.is_dense and kkt_sparse.is_explicit
    solver = KaczmarzSolver()
    zs = []
    for kkt in (kkt_dense, kkt_sparse):
        state = solver.start(kkt, rhs, np.random.default_rng(1))
        solver.run(state, 0.0, max_iter=140, deadline=math.inf)
        zs.append(state.z)
    np.testing.assert_allclose(zs[0], zs[1], rtol=1e-10, atol=1e-12)


def test_deadline_stops_the_inner_solver():
    kkt, rhs = random_kkt(2, 10, 4)
    state = GaussianSketchSolver().start(kkt, rhs, np.random.default_rng(0))
    outcome = GaussianSketchSolver().run(state, 0.0, max_iter=10**9, deadline=0.0)
    assert outcome.status is InnerStatus.TIME_LIMIT
