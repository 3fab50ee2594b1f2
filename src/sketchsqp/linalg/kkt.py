"""The KKT (Newton) operator ``K = [[B, J^T], [J, -rho I]]`` at one iterate.

``rho = 0`` is the exact Newton system of the paper; ``rho > 0`` is the regularised system used
when the Jacobian is (nearly) rank deficient.  K is symmetric and, when B is positive definite on
the null space of J and J has full row rank, has inertia (n, m, 0).

Storage: when B and J are explicit (dense or sparse) K is assembled once -- dense below
``dense_threshold`` unknowns, CSR otherwise -- so that sketching methods get cheap row access.
When either is a LinearOperator, K stays matrix-free (products only).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from ..problem import operators

DENSE_THRESHOLD = 2000


class KKTOperator:
    """Symmetric KKT operator of size ``N = n + m`` with optional explicit storage."""

    def __init__(self, hessian_block, jacobian, regularization: float = 0.0, *, dense_threshold: int = DENSE_THRESHOLD):
        self.n = hessian_block.shape[0]
        self.m = jacobian.shape[0]
        self.size = self.n + self.m
        self.hessian_block = hessian_block
        self.jacobian = jacobian
        self.regularization = float(regularization)
        explicit = not isinstance(hessian_block, LinearOperator) and not isinstance(jacobian, LinearOperator)
        self.matrix = None  # dense ndarray or CSR array, or None when matrix-free
        if explicit:
            any_sparse = sp.issparse(hessian_block) or sp.issparse(jacobian)
            if self.size <= dense_threshold or not any_sparse:
                self.matrix = self._assemble_dense()
            else:
                self.matrix = self._assemble_sparse()
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
        return sp.csr_array(sp.block_array([[B, J.T], [J, lower]], format="csr"))

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
        if self.matrix is not None:
            self.matvec_count += Z.shape[1]
            return np.asarray(self.matrix @ Z)
        return np.column_stack([self.matvec(Z[:, j]) for j in range(Z.shape[1])])

    def as_linear_operator(self) -> LinearOperator:
        return LinearOperator(self.shape, matvec=self.matvec, rmatvec=self.matvec, dtype=float)

    def to_dense(self) -> np.ndarray:
        if isinstance(self.matrix, np.ndarray):
            return self.matrix
        if self.matrix is not None:
            return self.matrix.toarray()
        return self.matmat(np.eye(self.size))

    def row_norms_squared(self) -> np.ndarray:
        """Squared Euclidean norms of the rows of K (explicit storage only)."""
        if isinstance(self.matrix, np.ndarray):
            return np.einsum("ij,ij->i", self.matrix, self.matrix)
        if self.matrix is not None:
            return np.asarray(self.matrix.multiply(self.matrix).sum(axis=1)).reshape(-1)
        raise TypeError("row norms need an explicit KKT matrix; this one is matrix-free")
