"""The KKT (Newton) operator ``K = [[B, J^T], [J, -rho I]]`` at one iterate.

``rho = 0`` is the exact Newton system of the paper; ``rho > 0`` is the regularised system used
when the Jacobian is (nearly) rank deficient.  K is symmetric and, when B is positive definite on
the null space of J and J has full row rank, has inertia (n, m, 0).

Storage (``storage="auto"``): when B and J are explicit (dense or sparse) K is assembled once --
dense at most ``dense_threshold`` unknowns, CSR otherwise, so that sketching methods get cheap row
access.  Explicit sparse blocks are never densified above the threshold.  When either block is a
LinearOperator, K stays matrix-free (products only).  ``storage="dense"|"sparse"|"operator"``
forces one representation (the tests use this to check that all three give the same steps).

A factorization of K found while modifying the Hessian (inertia correction) may be attached as
``factorization``; the direct inner solver reuses it instead of factorizing again.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from ..problem import operators

DENSE_THRESHOLD = 2000
STORAGES = ("auto", "dense", "sparse", "operator")


class KKTOperator:
    """Symmetric KKT operator of size ``N = n + m`` with optional explicit storage.

    Parameters
    ----------
    hessian_block : B, (n, n) ndarray, scipy.sparse or LinearOperator.
    jacobian : J, (m, n) ndarray, scipy.sparse or LinearOperator.
    regularization : rho >= 0 in the (2, 2) block ``-rho I``.
    dense_threshold : largest size assembled densely when ``storage="auto"``.
    storage : "auto", "dense", "sparse" (CSR) or "operator" (matrix-free).
    """

    def __init__(self, hessian_block, jacobian, regularization: float = 0.0, *,
                 dense_threshold: int = DENSE_THRESHOLD, storage: str = "auto"):
        if storage not in STORAGES:
            raise ValueError(f"storage must be one of {STORAGES}, got {storage!r}")
        self.n = hessian_block.shape[0]
        self.m = jacobian.shape[0]
        self.size = self.n + self.m
        self.hessian_block = hessian_block
        self.jacobian = jacobian
        self.regularization = float(regularization)
        self.factorization = None  # an LDL^T factorization of this K, attached by inertia correction
        explicit = not isinstance(hessian_block, LinearOperator) and not isinstance(jacobian, LinearOperator)
        self.matrix = None  # dense ndarray or CSR array, or None when matrix-free
        if storage == "auto":
            if explicit:
                any_sparse = sp.issparse(hessian_block) or sp.issparse(jacobian)
                storage = "dense" if (self.size <= dense_threshold or not any_sparse) else "sparse"
            else:
                storage = "operator"
        if storage in ("dense", "sparse") and not explicit:
            raise TypeError(f"storage={storage!r} needs explicit B and J; this problem gives a LinearOperator")
        if storage == "dense":
            self.matrix = self._assemble_dense()
        elif storage == "sparse":
            self.matrix = self._assemble_sparse()
        self.storage = storage
        self.matvec_count = 0

    @property
    def shape(self) -> tuple[int, int]:
        return (self.size, self.size)

    @property
    def is_explicit(self) -> bool:
        return self.matrix is not None

    @property
    def is_dense(self) -> bool:
        return isinstance(self.matrix, np.ndarray)

    @property
    def nnz(self) -> int:
        """Stored entries of K (dense: N^2; matrix-free: an estimate from the blocks, or -1)."""
        if isinstance(self.matrix, np.ndarray):
            return self.matrix.size
        if self.matrix is not None:
            return int(self.matrix.nnz)
        blocks = [self.hessian_block, self.jacobian]
        if any(isinstance(b, LinearOperator) for b in blocks):
            return -1
        return _nnz(self.hessian_block) + 2 * _nnz(self.jacobian) + (self.m if self.regularization else 0)

    def _assemble_dense(self) -> np.ndarray:
        n, m = self.n, self.m
        K = np.zeros((n + m, n + m))
        K[:n, :n] = operators.to_dense(self.hessian_block)
        J = operators.to_dense(self.jacobian)
        K[n:, :n] = J
        K[:n, n:] = J.T
        if self.regularization:
            K[n:, n:] = -self.regularization * np.eye(m)
        return K

    def _assemble_sparse(self):
        B = sp.csr_array(self.hessian_block)
        J = sp.csr_array(self.jacobian)
        lower = -self.regularization * sp.eye_array(self.m, format="csr") if self.regularization else None
        if self.m == 0:
            return sp.csr_array(B)
        K = sp.csr_array(sp.block_array([[B, J.T], [J, lower]], format="csr"))
        K.sum_duplicates()  # canonical: sorted indices, so row slices are cheap and deterministic
        return K

    # ------------------------------------------------------------------ products
    def matvec(self, z: np.ndarray) -> np.ndarray:
        self.matvec_count += 1
        if self.matrix is not None:
            return self.matrix @ z
        dx, dy = z[: self.n], z[self.n:]
        top = operators.matvec(self.hessian_block, dx) + operators.rmatvec(self.jacobian, dy)
        bottom = operators.matvec(self.jacobian, dx)
        if self.regularization:
            bottom = bottom - self.regularization * dy
        return np.concatenate([top, bottom])

    def matmat(self, Z: np.ndarray) -> np.ndarray:
        """K Z for a block of columns (one sparse-times-dense product when K is explicit)."""
        if self.matrix is not None:
            self.matvec_count += Z.shape[1]
            return np.asarray(self.matrix @ Z)
        if all(not isinstance(b, LinearOperator) for b in (self.hessian_block, self.jacobian)):
            return np.column_stack([self.matvec(Z[:, j]) for j in range(Z.shape[1])])
        self.matvec_count += Z.shape[1]
        dx, dy = Z[: self.n], Z[self.n:]
        top = _block_product(self.hessian_block, dx) + _block_product(self.jacobian, dy, transpose=True)
        bottom = _block_product(self.jacobian, dx)
        if self.regularization:
            bottom = bottom - self.regularization * dy
        return np.vstack([top, bottom])

    def as_linear_operator(self) -> LinearOperator:
        return LinearOperator(self.shape, matvec=self.matvec, rmatvec=self.matvec, matmat=self.matmat, dtype=float)

    def to_dense(self) -> np.ndarray:
        if isinstance(self.matrix, np.ndarray):
            return self.matrix
        if self.matrix is not None:
            return self.matrix.toarray()
        return self.matmat(np.eye(self.size))

    # ------------------------------------------------------------------ rows (sketching methods)
    def rows(self, indices: np.ndarray):
        """Rows ``K[indices, :]`` (dense ndarray or CSR); explicit storage only."""
        if self.matrix is None:
            raise TypeError("row access needs an explicit KKT matrix; this one is matrix-free")
        return self.matrix[indices]

    def row_norms_squared(self) -> np.ndarray:
        """Squared Euclidean norms of the rows of K (explicit storage only)."""
        if isinstance(self.matrix, np.ndarray):
            return np.einsum("ij,ij->i", self.matrix, self.matrix)
        if self.matrix is not None:
            counts = np.diff(self.matrix.indptr)
            row_of_entry = np.repeat(np.arange(self.size), counts)
            return np.bincount(row_of_entry, weights=self.matrix.data**2, minlength=self.size)
        raise TypeError("row norms need an explicit KKT matrix; this one is matrix-free")

    def diagonal(self) -> np.ndarray:
        """diag(K): diag(B) then ``-rho``; for a LinearOperator B, probed with unit vectors (small n only)."""
        B = self.hessian_block
        if isinstance(B, LinearOperator):
            diag_b = np.array([B.matvec(e)[i] for i, e in enumerate(np.eye(self.n))]) if self.n <= DENSE_THRESHOLD \
                else np.full(self.n, np.nan)
        elif sp.issparse(B):
            diag_b = np.asarray(B.diagonal(), dtype=float)
        else:
            diag_b = np.diag(np.asarray(B, dtype=float)).copy()
        return np.concatenate([diag_b, np.full(self.m, -self.regularization)])


def _nnz(mat) -> int:
    if sp.issparse(mat):
        return int(mat.nnz)
    return int(np.asarray(mat).size)


def _block_product(mat, Z: np.ndarray, transpose: bool = False) -> np.ndarray:
    if isinstance(mat, LinearOperator):
        return np.asarray(mat.rmatmat(Z) if transpose else mat.matmat(Z))
    return np.asarray((mat.T @ Z) if transpose else (mat @ Z))
