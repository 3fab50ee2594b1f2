"""Norms and extreme eigenvalues used by the adaptive accuracy rule (ALGORITHM.md, step 5).

Dense problems use exact values (2-norms, ``eigvalsh``).  Larger or matrix-free problems use a
few Lanczos iterations (:func:`scipy.sparse.linalg.eigsh`) on the symmetric products, which is
accurate to a few digits -- enough, since the quantities only scale a stopping test.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh

from ..problem import operators

EXACT_SIZE_LIMIT = 600


def _symmetric_norm(mat, size: int) -> float:
    if size == 0:
        return 0.0
    if size <= EXACT_SIZE_LIMIT:
        dense = operators.to_dense(mat)
        return float(np.max(np.abs(np.linalg.eigvalsh(0.5 * (dense + dense.T))))) if dense.size else 0.0
    op = mat if isinstance(mat, LinearOperator) else LinearOperator((size, size), matvec=lambda v: mat @ v, dtype=float)
    try:
        vals = eigsh(op, k=1, which="LM", return_eigenvectors=False, tol=1e-3, maxiter=200)
        return float(abs(vals[0]))
    except ArpackNoConvergence as exc:
        return float(np.max(np.abs(exc.eigenvalues))) if len(exc.eigenvalues) else float("nan")


def gram_extremes(jac, m: int, n: int) -> tuple[float, float]:
    """(lambda_max, lambda_min) of J J^T."""
    if m == 0:
        return 0.0, float("inf")
    if m <= EXACT_SIZE_LIMIT and n <= 20 * EXACT_SIZE_LIMIT and not isinstance(jac, LinearOperator):
        J = jac.toarray() if sp.issparse(jac) else np.asarray(jac)
        vals = np.linalg.eigvalsh(J @ J.T)
        return float(vals[-1]), float(max(vals[0], 0.0))
    gram = LinearOperator((m, m), matvec=lambda w: operators.matvec(jac, operators.rmatvec(jac, w)), dtype=float)
    try:
        top = float(eigsh(gram, k=1, which="LA", return_eigenvectors=False, tol=1e-3, maxiter=300)[0])
    except ArpackNoConvergence as exc:
        top = float(np.max(exc.eigenvalues)) if len(exc.eigenvalues) else float("nan")
    try:
        # Smallest eigenvalue by shifting: lambda_min = top - lambda_max(top I - J J^T).
        shifted = LinearOperator((m, m), matvec=lambda w: top * w - gram.matvec(w), dtype=float)
        low = top - float(eigsh(shifted, k=1, which="LA", return_eigenvectors=False, tol=1e-4, maxiter=500)[0])
    except ArpackNoConvergence:
        low = float("nan")
    return top, max(low, 0.0)


def symmetric_norm(mat) -> float:
    """||A||_2 of a symmetric matrix or operator (exact when small, Lanczos otherwise)."""
    return _symmetric_norm(mat, mat.shape[0])


def kkt_norm(kkt_operator) -> float:
    kkt = kkt_operator.matrix if kkt_operator.matrix is not None else kkt_operator.as_linear_operator()
    return _symmetric_norm(kkt, kkt_operator.size)
