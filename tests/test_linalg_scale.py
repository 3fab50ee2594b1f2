"""The scalable linear algebra: KKT storages, block sketches, Krylov and direct inner solvers,
compiled Kaczmarz, spectral estimates and the scalable Hessian modifications."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg as la
import scipy.sparse as sp
from scipy.sparse.linalg import aslinearoperator

from sketchsqp.linalg import (BlockSketchSolver, CertifiedShift, GaussianBlockSketch, GaussianSketchSolver,
                              GmresSolver, InertiaCorrection, KaczmarzSolver, KKTOperator, KKTUpperPattern,
                              LDLFactorization, MinresSolver, RowBlockSketch, SparseDirectSolver, SparseSignSketch,
                              SpectralEstimator, gershgorin_lower_bound, preconditioner)
from sketchsqp.linalg.compiled import compiled_available, kaczmarz_csr_sweep
from sketchsqp.linalg.direct import backend_available

needs_ldl = pytest.mark.skipif(not backend_available("auto"), reason="no LDL^T backend (sketchsqp[direct])")
BACKENDS = [b for b in ("qdldl", "pardiso") if backend_available(b)]


def random_kkt(n: int, m: int, seed: int, *, convex: bool = True, density: float = 0.1):
    """A random sparse KKT system: B = A A^T / n + I (or indefinite), J = [I_m | random sparse]."""
    rng = np.random.default_rng(seed)
    A = sp.random_array((n, n), density=density, rng=rng)
    B = sp.csr_array(A @ A.T / n + sp.eye_array(n))
    if not convex:
        B = sp.csr_array(B - 1.5 * sp.eye_array(n))
    J = sp.csr_array(sp.hstack([sp.eye_array(m), sp.random_array((m, n - m), density=density, rng=rng)]))
    rhs = rng.standard_normal(n + m)
    return B, J, rhs


# ---------------------------------------------------------------------------------------------- operator
def test_kkt_storages_agree_on_products_rows_and_diagonal():
    B, J, _ = random_kkt(40, 15, 0)
    dense = KKTOperator(B, J, 0.3, storage="dense")
    sparse = KKTOperator(B, J, 0.3, storage="sparse")
    free = KKTOperator(aslinearoperator(B), aslinearoperator(J), 0.3)
    assert (dense.storage, sparse.storage, free.storage) == ("dense", "sparse", "operator")
    K = dense.to_dense()
    Z = np.random.default_rng(1).standard_normal((55, 4))
    for op in (sparse, free):
        np.testing.assert_allclose(op.matvec(Z[:, 0]), K @ Z[:, 0], atol=1e-12)
        np.testing.assert_allclose(op.matmat(Z), K @ Z, atol=1e-12)
        np.testing.assert_allclose(op.diagonal(), np.diag(K), atol=1e-12)
    np.testing.assert_allclose(sparse.row_norms_squared(), (K**2).sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(sparse.rows(np.array([3, 50])).toarray(), K[[3, 50]])
    with pytest.raises(TypeError, match="matrix-free"):
        free.row_norms_squared()


def test_sparse_blocks_are_never_densified_above_the_threshold():
    B, J, _ = random_kkt(60, 20, 0)
    assert KKTOperator(B, J, dense_threshold=50).storage == "sparse"
    assert KKTOperator(B, J, dense_threshold=100).storage == "dense"


# ---------------------------------------------------------------------------------------------- same steps
@pytest.mark.parametrize("make_solver", [GaussianSketchSolver, lambda: BlockSketchSolver(GaussianBlockSketch(8)),
                                         lambda: BlockSketchSolver(SparseSignSketch(8, 2)),
                                         MinresSolver, GmresSolver])
def test_dense_sparse_and_matrix_free_paths_give_the_same_steps(make_solver):
    B, J, rhs = random_kkt(30, 10, 3)
    steps = []
    for op in (KKTOperator(B, J, storage="dense"), KKTOperator(B, J, storage="sparse"),
               KKTOperator(aslinearoperator(B), aslinearoperator(J))):
        solver = make_solver()
        state = solver.start(op, rhs, np.random.default_rng(7))
        solver.run(state, 0.0, 25, math.inf)
        steps.append(state.z.copy())
    np.testing.assert_allclose(steps[1], steps[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(steps[2], steps[0], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("make_solver", [KaczmarzSolver, lambda: BlockSketchSolver(RowBlockSketch(6))])
def test_row_methods_give_the_same_steps_dense_and_sparse(make_solver):
    B, J, rhs = random_kkt(30, 10, 4)
    steps = []
    for storage in ("dense", "sparse"):
        solver = make_solver()
        state = solver.start(KKTOperator(B, J, storage=storage), rhs, np.random.default_rng(11))
        solver.run(state, 0.0, 200, math.inf)
        steps.append(state.z.copy())
    np.testing.assert_allclose(steps[1], steps[0], rtol=1e-9, atol=1e-12)


def test_compiled_and_python_kaczmarz_sweeps_agree():
    B, J, rhs = random_kkt(40, 10, 5)
    K = KKTOperator(B, J, storage="sparse")
    norms = K.row_norms_squared()
    rows = np.random.default_rng(0).integers(0, K.size, 500)
    results = []
    for compiled in (True, False):
        z = np.zeros(K.size)
        touched = kaczmarz_csr_sweep(K.matrix.indptr, K.matrix.indices, K.matrix.data, norms, rhs, z, rows,
                                     compiled=compiled)
        results.append((z, touched))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-10, atol=1e-13)
    assert results[0][1] == results[1][1] == int(np.diff(K.matrix.indptr)[rows].sum())
    assert compiled_available() in (True, False)


def test_seeded_block_sketches_are_reproducible_and_well_formed():
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    for sketch in (GaussianBlockSketch(4), SparseSignSketch(4, 2), RowBlockSketch(4)):
        a, b = sketch.draw(rng_a, 20), sketch.draw(rng_b, 20)
        a = a.toarray() if sp.issparse(a) else a
        b = b.toarray() if sp.issparse(b) else b
        np.testing.assert_array_equal(a, b)
    S = SparseSignSketch(6, 3).draw(np.random.default_rng(0), 50).toarray()
    assert S.shape == (50, 6)
    np.testing.assert_array_equal(np.count_nonzero(S, axis=1), 3)
    assert set(np.unique(S)) <= {-1.0, 0.0, 1.0}
    rows = RowBlockSketch(8).draw(np.random.default_rng(0), 20)
    assert len(set(rows)) == 8 and np.all(np.diff(rows) > 0)


# ---------------------------------------------------------------------------------------------- accuracy
SOLVERS = {
    "minres": lambda: MinresSolver(),
    "minres-jacobi": lambda: MinresSolver(preconditioner("jacobi")),
    "gmres-jacobi": lambda: GmresSolver(preconditioner("jacobi"), restart=20),
    "block-row": lambda: BlockSketchSolver(RowBlockSketch(16)),
    "block-gaussian": lambda: BlockSketchSolver(GaussianBlockSketch(16)),
    "block-sparse-sign": lambda: BlockSketchSolver(SparseSignSketch(16)),
    "kaczmarz": lambda: KaczmarzSolver(),
}
if BACKENDS:
    SOLVERS["minres-schur"] = lambda: MinresSolver(preconditioner("schur"))
    for _backend in BACKENDS:
        SOLVERS[f"direct-{_backend}"] = lambda backend=_backend: SparseDirectSolver(backend=backend)


@pytest.mark.parametrize("name", sorted(SOLVERS))
@pytest.mark.parametrize("seed,n,m", [(0, 24, 8), (1, 40, 12), (2, 60, 25)])
def test_inner_solvers_reach_the_requested_residual_on_random_sparse_kkt(name, seed, n, m):
    B, J, rhs = random_kkt(n, m, seed)
    K = KKTOperator(B, J, storage="sparse")
    sketching = name.startswith(("block", "kaczmarz"))
    relative = 1e-4 if sketching else 1e-9
    target = relative * np.linalg.norm(rhs)
    solver = SOLVERS[name]()
    state = solver.start(K, rhs, np.random.default_rng(seed))
    # A loose target first, then a tighter one: the adaptive loop continues the same solve.
    solver.run(state, 1e3 * target, 10**6, math.inf)
    outcome = solver.run(state, target, 10**6, math.inf)
    assert outcome.status.name == "REACHED", outcome
    true_residual = np.linalg.norm(K.to_dense() @ state.z - rhs)  # recomputed, not the solver's own
    assert true_residual <= target * (1 + 1e-8)


# ---------------------------------------------------------------------------------------------- factorization
@needs_ldl
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("convex", [True, False])
def test_ldl_inertia_matches_dense_eigenvalues(backend, convex):
    B, J, rhs = random_kkt(30, 10, 8, convex=convex)
    for shift in (0.0, 3.0):
        factorization = LDLFactorization(KKTUpperPattern.build(B, J), shift, 1e-3, backend)
        K = np.block([[B.toarray() + shift * np.eye(30), J.toarray().T], [J.toarray(), -1e-3 * np.eye(10)]])
        eigenvalues = np.linalg.eigvalsh(K)
        assert factorization.inertia() == (int((eigenvalues > 0).sum()), int((eigenvalues < 0).sum()), 0)
        np.testing.assert_allclose(K @ factorization.solve(rhs), rhs, atol=1e-8)
        factorization.release()


def test_gershgorin_bound_is_below_the_smallest_eigenvalue():
    B, _, _ = random_kkt(30, 10, 9, convex=False)
    assert gershgorin_lower_bound(B) <= np.linalg.eigvalsh(B.toarray())[0] + 1e-12
    assert gershgorin_lower_bound(B.toarray()) == pytest.approx(gershgorin_lower_bound(B))


def nonconvex_instance(seed: int):
    """H indefinite with negative curvature inside null(J): a modification is required."""
    rng = np.random.default_rng(seed)
    n, m = 25, 8
    Q = la.qr(rng.standard_normal((n, n)))[0]
    H = Q @ np.diag(np.linspace(-3.0, 4.0, n)) @ Q.T
    J = sp.csr_array(sp.random_array((m, n), density=0.4, rng=rng) + sp.eye_array(m, n))
    return sp.csr_array(H), J


def reduced_lambda_min(B, J) -> float:
    Z = la.null_space(J.toarray())
    Bd = B.toarray() if sp.issparse(B) else np.asarray(B)
    return float(np.linalg.eigvalsh(Z.T @ Bd @ Z)[0])


@pytest.mark.parametrize("rule", ["inertia", "certified", "certified-no-ldl", "certified-matrix-free"])
@pytest.mark.parametrize("seed", [0, 1])
def test_hessian_modification_makes_the_reduced_hessian_positive_definite(rule, seed):
    H, J = nonconvex_instance(seed)
    assert reduced_lambda_min(H, J) < 0  # the instance needs a modification
    if rule in ("inertia", "certified") and not BACKENDS:
        pytest.skip("no LDL^T backend")
    if rule == "inertia":
        modified = InertiaCorrection().modify(H, J)
        modified.factorization.release()
    elif rule == "certified":
        modified = CertifiedShift().modify(H, J)
    elif rule == "certified-no-ldl":
        modified = CertifiedShift(factorization_limit=0).modify(H, J)
    else:
        modified = CertifiedShift().modify(aslinearoperator(H), J)
    B = modified.matrix
    B = B.matmat(np.eye(25)) if hasattr(B, "matmat") and not sp.issparse(B) else B
    assert modified.shift > 0
    assert reduced_lambda_min(sp.csr_array(B) if not isinstance(B, np.ndarray) else B, J) > 0


@needs_ldl
def test_inertia_correction_leaves_a_hessian_alone_when_the_reduced_hessian_is_already_positive_definite():
    rng = np.random.default_rng(3)
    n, m = 20, 6
    J = sp.csr_array(np.hstack([np.eye(m), rng.standard_normal((m, n - m))]))
    Z = la.null_space(J.toarray())
    # Positive definite on null(J), strongly negative along the row space of J.
    H = Z @ Z.T - 5.0 * J.toarray().T @ J.toarray()
    assert np.linalg.eigvalsh(H)[0] < 0 < reduced_lambda_min(sp.csr_array(H), J)
    modified = InertiaCorrection().modify(sp.csr_array(H), J)
    modified.factorization.release()
    assert modified.shift == 0.0


# ---------------------------------------------------------------------------------------------- spectral
def test_lanczos_estimates_match_dense_values_and_reuse_vectors():
    B, J, _ = random_kkt(500, 200, 10, density=0.02)
    K = KKTOperator(B, J, storage="sparse")
    dense = K.to_dense()
    exact_norm = np.max(np.abs(np.linalg.eigvalsh(dense)))
    estimator = SpectralEstimator()
    first = estimator.kkt_norm(K)
    second = estimator.kkt_norm(K)  # warm-started from the stored vector
    assert first == pytest.approx(exact_norm, rel=1e-3)
    assert second == pytest.approx(exact_norm, rel=1e-3)
    top, low = estimator.gram_extremes(J, 200, 500)
    gram = np.linalg.eigvalsh((J @ J.T).toarray())
    assert top == pytest.approx(gram[-1], rel=1e-3)
    assert low >= gram[0] * (1 - 1e-3)  # a Ritz value: never below the true smallest eigenvalue
    assert estimator.requests == {"K": 2, "JJT": 1}
