"""Norms and extreme eigenvalues used by the adaptive accuracy rule (ALGORITHM.md, step 5).

What is estimated, and how:

* ``||H||_2``, ``||B||_2``, ``||K||_2`` (symmetric): exact ``eigvalsh`` up to
  :data:`EXACT_SIZE_LIMIT` unknowns; beyond, the largest-magnitude eigenvalue by Lanczos
  by :data:`POWER_STEPS` power iterations (a Rayleigh quotient, a lower bound of the norm), products
  only -- never a dense matrix.
* ``lambda_max(J J^T) = ||J||_2^2``: exact up to the size limit, else power iterations on the
  product ``w -> J (J^T w)``.
* ``lambda_min(J J^T)``: exact up to the size limit, else power iterations on
  ``lambda_max I - J J^T``.  For an ill-conditioned J this converges slowly and the estimate is an
  *upper* bound of the true value; it only scales the theoretical stopping test, which is hopeless
  at scale anyway (use ``accuracy="practical"`` there).
* ``lambda_min`` of a Hessian for the modification rules (:func:`lambda_min_estimate`): Lanczos
  (ARPACK ``eigsh``, "SA").

:class:`SpectralEstimator` keeps the last eigenvector estimate of each quantity and starts the
next estimate from it: between consecutive outer iterations the matrices change little.  The practical accuracy mode needs none of
these quantities, and the outer loop does not ask for them there.
"""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh

from ..problem import operators

EXACT_SIZE_LIMIT = 600
# Budget of the power iterations used at scale for the norms of the accuracy rule: they only scale
# a stopping test, so two digits suffice, and a bounded number of products keeps a time limit honoured.
POWER_STEPS = 40


def _as_operator(mat, size: int) -> LinearOperator:
    if isinstance(mat, LinearOperator):
        return mat
    return LinearOperator((size, size), matvec=lambda v: mat @ v, dtype=float)


def _lanczos_extreme(op: LinearOperator, which: str, tol: float, maxiter: int, v0: np.ndarray | None):
    """(eigenvalue, eigenvector or None) of ``op`` at the ``which`` end; ARPACK, warm-started by v0."""
    size = op.shape[0]
    if size == 1:
        value = float(op.matvec(np.ones(1))[0])
        return value, np.ones(1)
    start = v0 if v0 is not None and v0.shape == (size,) and np.all(np.isfinite(v0)) and np.any(v0) else None
    try:
        vals, vecs = eigsh(op, k=1, which=which, tol=tol, maxiter=maxiter, v0=start)
        return float(vals[0]), vecs[:, 0]
    except ArpackNoConvergence as exc:
        if len(exc.eigenvalues):
            vec = exc.eigenvectors[:, 0] if exc.eigenvectors is not None and exc.eigenvectors.size else None
            return float(exc.eigenvalues[0]), vec
        return float("nan"), None


def _power_extreme(op: LinearOperator, v0: np.ndarray | None, steps: int = POWER_STEPS, deadline: float = math.inf):
    """(Rayleigh quotient, vector) after ``steps`` power iterations: the dominant eigenvalue of a
    symmetric operator, approached from below in magnitude; warm-started by ``v0``."""
    size = op.shape[0]
    start = v0 if v0 is not None and v0.shape == (size,) and np.all(np.isfinite(v0)) and np.any(v0) else None
    v = np.random.default_rng(0).standard_normal(size) if start is None else start.copy()  # fixed: reproducible
    v /= np.linalg.norm(v)
    value = 0.0
    for _ in range(steps):
        if time.perf_counter() > deadline:
            break  # a rough estimate is enough: the inner solver stops at the deadline right after
        w = np.asarray(op.matvec(v)).reshape(-1)
        value = float(v @ w)
        norm = float(np.linalg.norm(w))
        if norm == 0.0 or not np.isfinite(norm):
            break
        v = w / norm
    return value, v


def _symmetric_norm(mat, size: int, v0: np.ndarray | None = None, deadline: float = math.inf):
    if size == 0:
        return 0.0, None
    if size <= EXACT_SIZE_LIMIT:
        dense = operators.to_dense(mat)
        return (float(np.max(np.abs(np.linalg.eigvalsh(0.5 * (dense + dense.T))))) if dense.size else 0.0), None
    value, vec = _power_extreme(_as_operator(mat, size), v0, deadline=deadline)
    return abs(value), vec


def _gram_operator(jac, m: int) -> LinearOperator:
    return LinearOperator((m, m), matvec=lambda w: operators.matvec(jac, operators.rmatvec(jac, w)), dtype=float)


def _gram_extremes(jac, m: int, n: int, v_top=None, v_low=None, deadline: float = math.inf):
    if m == 0:
        return 0.0, float("inf"), None, None
    if m <= EXACT_SIZE_LIMIT and n <= 20 * EXACT_SIZE_LIMIT and not isinstance(jac, LinearOperator):
        J = jac.toarray() if sp.issparse(jac) else np.asarray(jac)
        vals = np.linalg.eigvalsh(J @ J.T)
        return float(vals[-1]), float(max(vals[0], 0.0)), None, None
    gram = _gram_operator(jac, m)
    top, v_top = _power_extreme(gram, v_top, deadline=deadline)
    # Smallest eigenvalue by shifting: lambda_min = top - lambda_max(top I - J J^T).
    shifted = LinearOperator((m, m), matvec=lambda w: top * w - gram.matvec(w), dtype=float)
    flipped, v_low = _power_extreme(shifted, v_low, deadline=deadline)
    low = top - flipped if np.isfinite(flipped) else float("nan")
    return top, max(low, 0.0), v_top, v_low


def gram_extremes(jac, m: int, n: int) -> tuple[float, float]:
    """(lambda_max, lambda_min) of J J^T."""
    top, low, _, _ = _gram_extremes(jac, m, n)
    return top, low


def symmetric_norm(mat) -> float:
    """||A||_2 of a symmetric matrix or operator (exact when small, Lanczos otherwise)."""
    return _symmetric_norm(mat, mat.shape[0])[0]


def kkt_norm(kkt_operator) -> float:
    kkt = kkt_operator.matrix if kkt_operator.matrix is not None else kkt_operator.as_linear_operator()
    return _symmetric_norm(kkt, kkt_operator.size)[0]


def lambda_min_estimate(mat, size: int, v0: np.ndarray | None = None, *, tol: float = 1e-3,
                        maxiter: int = 300) -> tuple[float, np.ndarray | None]:
    """Smallest eigenvalue of a symmetric matrix or operator: exact when small, Lanczos ("SA") otherwise.

    A Lanczos value is a Ritz value, so it can only *over*-estimate the true smallest eigenvalue;
    callers that need a guarantee add a margin.
    """
    if size <= EXACT_SIZE_LIMIT:
        dense = operators.to_dense(mat)
        return float(np.linalg.eigvalsh(0.5 * (dense + dense.T))[0]), None
    return _lanczos_extreme(_as_operator(mat, size), "SA", tol, maxiter, v0)


class SpectralEstimator:
    """The norms the theoretical accuracy rule needs, with Lanczos warm starts across iterations.

    One instance lives for one solve.  Each method computes its quantity on request; the
    eigenvector found is kept and seeds the next request of the same quantity.
    """

    def __init__(self) -> None:
        self.deadline = math.inf  # the outer loop sets the run's deadline before each step
        self._vectors: dict[str, np.ndarray | None] = {}
        self.requests: dict[str, int] = {}

    def _count(self, key: str) -> None:
        self.requests[key] = self.requests.get(key, 0) + 1

    def symmetric_norm(self, key: str, mat) -> float:
        """||A||_2 of the symmetric ``mat``; ``key`` names the quantity ("H", "B", "K")."""
        self._count(key)
        value, vec = _symmetric_norm(mat, mat.shape[0], self._vectors.get(key), self.deadline)
        self._vectors[key] = vec
        return value

    def kkt_norm(self, kkt_operator) -> float:
        kkt = kkt_operator.matrix if kkt_operator.matrix is not None else kkt_operator.as_linear_operator()
        self._count("K")
        value, vec = _symmetric_norm(kkt, kkt_operator.size, self._vectors.get("K"), self.deadline)
        self._vectors["K"] = vec
        return value

    def gram_extremes(self, jac, m: int, n: int) -> tuple[float, float]:
        """(lambda_max, lambda_min) of J J^T."""
        self._count("JJT")
        top, low, v_top, v_low = _gram_extremes(jac, m, n, self._vectors.get("JJT_max"), self._vectors.get("JJT_min"),
                                                self.deadline)
        self._vectors["JJT_max"], self._vectors["JJT_min"] = v_top, v_low
        return top, low

    def gram_max(self, jac, m: int, n: int) -> float:
        """lambda_max(J J^T) = ||J||_2^2 only (one Lanczos run at scale)."""
        self._count("JJT_max")
        if m == 0:
            return 0.0
        if m <= EXACT_SIZE_LIMIT and n <= 20 * EXACT_SIZE_LIMIT and not isinstance(jac, LinearOperator):
            return _gram_extremes(jac, m, n)[0]
        value, vec = _power_extreme(_gram_operator(jac, m), self._vectors.get("JJT_max"), deadline=self.deadline)
        self._vectors["JJT_max"] = vec
        return value
