"""Hessian modification: B = H + t I, positive definite on the null space of J (ALGORITHM.md, step 2)."""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, aslinearoperator

from ..problem import operators


@dataclasses.dataclass(frozen=True)
class ModifiedHessian:
    matrix: object  # B: ndarray, sparse or LinearOperator
    shift: float  # t >= 0
    reduced_lambda_min: float  # lambda_min(Z^T H Z) before the shift (nan when not computed)


def shifted(hessian, shift: float):
    """H + shift * I, keeping the representation of H."""
    if shift == 0.0:
        return hessian
    n = hessian.shape[0]
    if isinstance(hessian, LinearOperator):
        return aslinearoperator(hessian) + shift * aslinearoperator(sp.eye_array(n))
    if sp.issparse(hessian):
        return sp.csr_array(hessian + shift * sp.eye_array(n))
    return np.asarray(hessian) + shift * np.eye(n)


@dataclasses.dataclass(frozen=True)
class NullSpaceEigenvalueShift:
    """The paper's rule: if ``lambda_min(Z^T H Z) < threshold`` then ``t = xi_B + ||H||_2`` else 0.

    ``Z`` is an orthonormal basis of null(J) (dense SVD), so this is for problems of moderate size.
    Reference: Hong et al. (2023), Section 4 / the authors' prototype.
    """

    xi_B: float = 0.1
    threshold: float = 1e-6

    def modify(self, hessian, jac, norm_hessian: float | None = None) -> ModifiedHessian:
        n = hessian.shape[0]
        H = operators.to_dense(hessian)
        H = 0.5 * (H + H.T)
        if jac.shape[0] == 0:
            basis = np.eye(n)
        else:
            basis = la.null_space(operators.to_dense(jac))
        if basis.shape[1] == 0:
            return ModifiedHessian(hessian, 0.0, float("nan"))
        lam_min = float(np.linalg.eigvalsh(basis.T @ H @ basis)[0])
        if lam_min >= self.threshold:
            return ModifiedHessian(hessian, 0.0, lam_min)
        norm_h = float(np.max(np.abs(np.linalg.eigvalsh(H)))) if norm_hessian is None else norm_hessian
        shift = self.xi_B + norm_h
        return ModifiedHessian(shifted(hessian, shift), shift, lam_min)
