"""Least-squares multipliers: the y that best satisfies grad f + J^T y = 0 at a given x."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla


def least_squares_multipliers(gradient: np.ndarray, jac) -> np.ndarray:
    """``y = argmin ||gradient + J^T y||_2``: the multipliers that best fit ``x`` (minimum norm if J is rank deficient).

    Dense Jacobians use an SVD-based least-squares solve; sparse ones the augmented system
    ``[[I, J^T], [J, 0]] [r; y] = [-gradient; 0]`` (no squared condition number), falling back to
    LSQR when that system is singular; a LinearOperator uses LSQR.
    """
    m = jac.shape[0]
    if m == 0:
        return np.zeros(0)
    if isinstance(jac, np.ndarray):
        return np.linalg.lstsq(jac.T, -gradient, rcond=None)[0]
    if sp.issparse(jac):
        n = jac.shape[1]
        jac = sp.csr_array(jac)
        augmented = sp.block_array([[sp.eye_array(n), jac.T], [jac, None]], format="csc")
        rhs = np.concatenate([-gradient, np.zeros(m)])
        try:
            return spla.splu(augmented).solve(rhs)[n:]
        except RuntimeError:  # "Factor is exactly singular": rank-deficient Jacobian
            pass
    transposed = spla.aslinearoperator(jac).adjoint()
    return spla.lsqr(transposed, -gradient, atol=1e-14, btol=1e-14, iter_lim=10 * (m + 10))[0]
