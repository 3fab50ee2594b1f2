"""Hessian modification: B = H + t I, positive definite on the null space of J (ALGORITHM.md, step 2).

Three rules, one per kind of inner solver:

* :class:`NullSpaceEigenvalueShift` -- the paper's rule with a dense null-space basis (SVD) and
  dense eigenvalues; for the paper-faithful methods on small problems.
* :class:`InertiaCorrection` -- for the direct inner solver: factorize the regularised KKT matrix
  by LDL^T and raise t until its inertia is (n, m, 0), as IPOPT does (Waechter and Biegler 2006,
  Algorithm IC).  The accepted factorization is handed to the direct solver, so the test is free.
* :class:`CertifiedShift` -- for iterative inner solvers (MINRES, GMRES, sketching), which must
  not factorize K at scale: t = 0 when a cheap certificate shows H >= threshold I (Gershgorin
  discs, O(nnz(H)); exact for a diagonal H); else, when the matrices are explicit and not larger
  than ``factorization_limit`` unknowns, the inertia test above; else t makes B itself uniformly
  positive definite, ``t = max(0, xi_B - lambda_lower(H))``, with ``lambda_lower`` the Gershgorin
  bound (explicit H) or a Lanczos estimate with a safety margin (matrix-free H).  The last branch
  may shift where the reduced Hessian was already positive definite (slower local convergence,
  never a wrong step); the paper's own rule shifts by the larger ``xi_B + ||H||``.

Every rule returns a :class:`ModifiedHessian`; ``modify(hessian, jac, norm_hessian=None,
previous_shift=0.0)`` is the common signature (``previous_shift`` is t of the previous outer
iteration, which inertia correction starts from).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, aslinearoperator

from ..problem import operators
from .direct import DUAL_REGULARIZATION_DEFAULT, FactorizationFailed, KKTUpperPattern, LDLFactorization
from .spectral import lambda_min_estimate, symmetric_norm

# IPOPT's inertia-correction constants (Waechter and Biegler 2006, Section 3.1).
FIRST_SHIFT = 1e-4  # delta_w^0
SHIFT_MIN = 1e-20  # delta_w^min
SHIFT_MAX = 1e40  # delta_w^max
SHIFT_DECREASE = 1.0 / 3.0  # kappa_w^-
SHIFT_INCREASE = 8.0  # kappa_w^+
SHIFT_FIRST_INCREASE = 100.0  # bar kappa_w^+
DUAL_REGULARIZATION = DUAL_REGULARIZATION_DEFAULT  # delta_c of the factorized matrix; removed again by iterative refinement


@dataclasses.dataclass(frozen=True)
class ModifiedHessian:
    matrix: object  # B: ndarray, sparse or LinearOperator
    shift: float  # t >= 0
    reduced_lambda_min: float  # lambda_min(Z^T H Z) before the shift (nan when not computed)
    factorization: object = None  # LDL^T of the regularised K with this B (inertia correction only)
    rule: str = ""  # which test decided ("null-space", "gershgorin", "inertia", "lanczos")
    factorizations: int = 0  # LDL^T factorizations spent on the decision


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
    needs_norm_hessian = True

    def modify(self, hessian, jac, norm_hessian: float | None = None, previous_shift: float = 0.0,
               regularization: float = 0.0) -> ModifiedHessian:
        n = hessian.shape[0]
        H = operators.to_dense(hessian)
        H = 0.5 * (H + H.T)
        if jac.shape[0] == 0:
            basis = np.eye(n)
        else:
            basis = la.null_space(operators.to_dense(jac))
        if basis.shape[1] == 0:
            return ModifiedHessian(hessian, 0.0, float("nan"), rule="null-space")
        lam_min = float(np.linalg.eigvalsh(basis.T @ H @ basis)[0])
        if lam_min >= self.threshold:
            return ModifiedHessian(hessian, 0.0, lam_min, rule="null-space")
        norm_h = float(np.max(np.abs(np.linalg.eigvalsh(H)))) if norm_hessian is None else norm_hessian
        shift = self.xi_B + norm_h
        return ModifiedHessian(shifted(hessian, shift), shift, lam_min, rule="null-space")


@dataclasses.dataclass(frozen=True)
class InertiaCorrection:
    """IPOPT's inertia correction on ``K(t, delta_c) = [[H + t I, J^T], [J, -delta_c I]]``.

    Try t = 0; on wrong inertia (or a zero pivot) start from ``FIRST_SHIFT`` (or a third of the
    previous iteration's shift) and multiply by 100 (first time) or 8 until the inertia is
    (n, m, 0).  The accepted factorization rides along in the result for the direct solver.
    """

    backend: str = "auto"
    dual_regularization: float = DUAL_REGULARIZATION
    needs_norm_hessian = False

    def modify(self, hessian, jac, norm_hessian: float | None = None, previous_shift: float = 0.0,
               regularization: float = 0.0) -> ModifiedHessian:
        pattern = KKTUpperPattern.build(hessian, jac)
        delta_c = max(self.dual_regularization, regularization)
        shift, count = 0.0, 0
        while True:
            count += 1
            try:
                factorization = LDLFactorization(pattern, shift, delta_c, self.backend)
                if factorization.has_expected_inertia():
                    break
                factorization.release()
            except FactorizationFailed:
                pass
            if shift == 0.0:
                shift = FIRST_SHIFT if previous_shift == 0.0 else max(SHIFT_MIN, SHIFT_DECREASE * previous_shift)
            else:
                shift *= SHIFT_FIRST_INCREASE if previous_shift == 0.0 else SHIFT_INCREASE
            if shift > SHIFT_MAX:
                raise np.linalg.LinAlgError("inertia correction failed: no shift up to 1e40 gives inertia (n, m, 0)")
        return ModifiedHessian(shifted(hessian, shift), shift, float("nan"), factorization=factorization,
                               rule="inertia", factorizations=count)


def gershgorin_lower_bound(hessian) -> float:
    """min_i (H_ii - sum_{j != i} |H_ij|) <= lambda_min(H) for an explicit symmetric H."""
    if sp.issparse(hessian):
        H = sp.csr_array(hessian)
        diag = np.asarray(H.diagonal(), dtype=float)
        abs_row_sums = np.asarray(abs(H).sum(axis=1)).reshape(-1)
        return float(np.min(diag - (abs_row_sums - np.abs(diag)))) if diag.size else math.inf
    H = np.asarray(hessian, dtype=float)
    diag = np.diag(H)
    return float(np.min(diag - (np.abs(H).sum(axis=1) - np.abs(diag)))) if diag.size else math.inf


@dataclasses.dataclass(frozen=True)
class CertifiedShift:
    """B = H + t I positive definite on null(J), certified without dense linear algebra (see module text).

    Parameters
    ----------
    xi_B : lower bound asked of B when B itself is made positive definite.
    threshold : a Gershgorin bound at least this large certifies H as it is (t = 0).
    factorization_limit : largest KKT size for the LDL^T inertia test (0 disables it).
    margin : relative safety margin on a Lanczos estimate (Ritz values over-estimate lambda_min).
    """

    xi_B: float = 0.1
    threshold: float = 1e-8
    factorization_limit: int = 200_000
    backend: str = "auto"
    margin: float = 1e-2
    needs_norm_hessian = False

    def modify(self, hessian, jac, norm_hessian: float | None = None, previous_shift: float = 0.0,
               regularization: float = 0.0) -> ModifiedHessian:
        n = hessian.shape[0]
        explicit = not isinstance(hessian, LinearOperator)
        if explicit:
            lower = gershgorin_lower_bound(hessian)
            if lower >= self.threshold:
                return ModifiedHessian(hessian, 0.0, float("nan"), rule="gershgorin")
            size = n + jac.shape[0]
            if size <= self.factorization_limit and not isinstance(jac, LinearOperator):
                try:
                    outcome = InertiaCorrection(self.backend).modify(hessian, jac, previous_shift=previous_shift,
                                                                    regularization=regularization)
                except ImportError:
                    outcome = None  # no LDL^T backend installed: fall through to the uniform shift
                if outcome is not None:
                    outcome.factorization.release()  # an iterative solver does not use it
                    return dataclasses.replace(outcome, factorization=None)
            shift = max(0.0, self.xi_B - lower)
            return ModifiedHessian(shifted(hessian, shift), shift, float("nan"), rule="gershgorin")
        estimate, _ = lambda_min_estimate(hessian, n)
        if not np.isfinite(estimate):
            estimate = -symmetric_norm(hessian)
        norm_h = norm_hessian if norm_hessian is not None else symmetric_norm(hessian)
        lower = estimate - self.margin * max(norm_h, 1.0)
        if lower >= self.threshold:
            return ModifiedHessian(hessian, 0.0, float("nan"), rule="lanczos")
        shift = max(0.0, self.xi_B - lower)
        return ModifiedHessian(shifted(hessian, shift), shift, float("nan"), rule="lanczos")
