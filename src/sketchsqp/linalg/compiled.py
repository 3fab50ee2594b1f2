"""Inner loops of randomized Kaczmarz, compiled with numba when it is installed.

A Kaczmarz step on row i costs O(nnz(row i)): ``r_i = K_i z - b_i`` on demand, then
``z -= (r_i / ||K_i||^2) K_i^T``.  In pure Python each step pays an interpreter round trip
(a few microseconds); the compiled loop runs a whole batch of steps in one call.  numba is an
optional extra (``pip install 'sketchsqp[numba]'``); without it the same loop runs in Python, with
identical arithmetic, so a seeded run gives the same iterates either way (to rounding).
"""

from __future__ import annotations

import numpy as np

try:  # optional extra
    import numba
except ImportError:  # pragma: no cover - exercised only without the extra
    numba = None


def kaczmarz_csr_sweep_python(indptr, indices, data, row_norms_squared, rhs, z, rows) -> int:
    """Kaczmarz steps on the rows ``rows`` of a CSR matrix, in order; returns entries touched."""
    touched = 0
    for i in rows:
        ns = row_norms_squared[i]
        if ns == 0.0:
            continue
        lo, hi = indptr[i], indptr[i + 1]
        cols, vals = indices[lo:hi], data[lo:hi]
        z[cols] -= ((vals @ z[cols] - rhs[i]) / ns) * vals
        touched += hi - lo
    return touched


def _kaczmarz_csr_sweep_loops(indptr, indices, data, row_norms_squared, rhs, z, rows):
    touched = 0
    for k in range(rows.shape[0]):
        i = rows[k]
        ns = row_norms_squared[i]
        if ns == 0.0:
            continue
        lo = indptr[i]
        hi = indptr[i + 1]
        dot = 0.0
        for p in range(lo, hi):
            dot += data[p] * z[indices[p]]
        coef = (dot - rhs[i]) / ns
        for p in range(lo, hi):
            z[indices[p]] -= coef * data[p]
        touched += hi - lo
    return touched


def _kaczmarz_dense_sweep_loops(matrix, row_norms_squared, rhs, z, rows):
    size = matrix.shape[1]
    for k in range(rows.shape[0]):
        i = rows[k]
        ns = row_norms_squared[i]
        if ns == 0.0:
            continue
        dot = 0.0
        for j in range(size):
            dot += matrix[i, j] * z[j]
        coef = (dot - rhs[i]) / ns
        for j in range(size):
            z[j] -= coef * matrix[i, j]
    return rows.shape[0] * size


def kaczmarz_dense_sweep_python(matrix, row_norms_squared, rhs, z, rows) -> int:
    for i in rows:
        ns = row_norms_squared[i]
        if ns == 0.0:
            continue
        row = matrix[i]
        z -= ((row @ z - rhs[i]) / ns) * row
    return len(rows) * matrix.shape[1]


if numba is not None:
    _csr_compiled = numba.njit(nogil=True, cache=False)(_kaczmarz_csr_sweep_loops)
    _dense_compiled = numba.njit(nogil=True, cache=False)(_kaczmarz_dense_sweep_loops)
else:  # pragma: no cover - exercised only without the extra
    _csr_compiled = _dense_compiled = None


def compiled_available() -> bool:
    """Whether numba is installed (the compiled Kaczmarz loops can run)."""
    return numba is not None


def kaczmarz_csr_sweep(indptr, indices, data, row_norms_squared, rhs, z, rows, *, compiled: bool = True) -> int:
    """Kaczmarz steps on ``rows`` of a CSR matrix, updating ``z`` in place; returns entries touched."""
    if compiled and _csr_compiled is not None:
        return int(_csr_compiled(indptr, indices, data, row_norms_squared, rhs, z, np.ascontiguousarray(rows)))
    return kaczmarz_csr_sweep_python(indptr, indices, data, row_norms_squared, rhs, z, rows)


def kaczmarz_dense_sweep(matrix, row_norms_squared, rhs, z, rows, *, compiled: bool = True) -> int:
    """Kaczmarz steps on ``rows`` of a dense matrix, updating ``z`` in place; returns entries touched."""
    if compiled and _dense_compiled is not None:
        return int(_dense_compiled(np.ascontiguousarray(matrix), row_norms_squared, rhs, z, np.ascontiguousarray(rows)))
    return kaczmarz_dense_sweep_python(matrix, row_norms_squared, rhs, z, rows)
