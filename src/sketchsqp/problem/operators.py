"""Small helpers on the three matrix kinds a problem may return: ndarray, scipy.sparse, LinearOperator."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, aslinearoperator


def is_operator(mat) -> bool:
    return isinstance(mat, LinearOperator)


def matvec(mat, v: np.ndarray) -> np.ndarray:
    if isinstance(mat, LinearOperator):
        return np.asarray(mat.matvec(v)).reshape(-1)
    return np.asarray(mat @ v).reshape(-1)


def rmatvec(mat, v: np.ndarray) -> np.ndarray:
    if isinstance(mat, LinearOperator):
        return np.asarray(mat.rmatvec(v)).reshape(-1)
    return np.asarray(mat.T @ v).reshape(-1)


def add(a, b):
    """a + b for any mix of the three kinds, keeping the cheapest representation."""
    if isinstance(a, LinearOperator) or isinstance(b, LinearOperator):
        return aslinearoperator(a) + aslinearoperator(b)
    if sp.issparse(a) and sp.issparse(b):
        return sp.csr_array(a + b)
    return to_dense(a) + to_dense(b)


def to_dense(mat) -> np.ndarray:
    if isinstance(mat, LinearOperator):
        return mat @ np.eye(mat.shape[1])
    if sp.issparse(mat):
        return mat.toarray()
    return np.asarray(mat, dtype=float)


def as_dense_or_sparse(mat):
    """Materialise a LinearOperator (small problems only); leave dense and sparse alone."""
    if isinstance(mat, LinearOperator):
        return to_dense(mat)
    return mat
