"""Preconditioners for the Krylov inner solvers: a hook and two block-diagonal choices.

A preconditioner *factory* is any object with ``build(operator: KKTOperator) -> LinearOperator |
None``; the returned operator applies ``P^{-1}``.  It is built once per KKT system (in the
solver's ``start``).  MINRES needs ``P`` symmetric positive definite, which both choices below are.

Both follow the block-diagonal form ``P = diag(D, S)`` of Murphy, Golub and Wathen (2000), with
``D = max(|diag(B)|, floor)`` standing in for B and ``S ~ J D^{-1} J^T`` for the Schur complement.
When B is diagonal and S exact, the preconditioned K has three distinct eigenvalues and MINRES
converges in three steps.

* :class:`BlockJacobiPreconditioner` -- ``S = diag(J D^{-1} J^T)``: O(nnz(J)) to build and apply.
* :class:`SchurComplementPreconditioner` -- ``S = J D^{-1} J^T + rho I`` factorized by a sparse
  LDL^T (the backends of :mod:`sketchsqp.linalg.direct`); as dear as a factorization of an m x m
  matrix, in exchange for a mesh-independent iteration count on problems like PDE control.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from .kkt import KKTOperator

DIAGONAL_FLOOR = 1e-8  # relative to max |diag(B)|: keeps D invertible


def _hessian_diagonal(operator: KKTOperator) -> np.ndarray:
    diag = np.abs(operator.diagonal()[: operator.n])
    if not np.all(np.isfinite(diag)):
        diag = np.ones(operator.n)
    floor = DIAGONAL_FLOOR * max(float(diag.max(initial=0.0)), 1.0)
    return np.maximum(diag, floor)


def _explicit_jacobian(operator: KKTOperator):
    J = operator.jacobian
    if isinstance(J, LinearOperator):
        return None
    return sp.csr_array(J) if sp.issparse(J) else np.asarray(J, dtype=float)


def _block_operator(size: int, n: int, apply_top, apply_bottom) -> LinearOperator:
    def matvec(v):
        v = np.asarray(v).reshape(-1)
        return np.concatenate([apply_top(v[:n]), apply_bottom(v[n:])])

    return LinearOperator((size, size), matvec=matvec, rmatvec=matvec, dtype=float)


@dataclasses.dataclass(frozen=True)
class BlockJacobiPreconditioner:
    """``P = diag(D, diag(J D^{-1} J^T) + rho)``; needs an explicit J (else the S block is the identity)."""

    name = "jacobi"

    def build(self, operator: KKTOperator) -> LinearOperator:
        d = _hessian_diagonal(operator)
        J = _explicit_jacobian(operator)
        if operator.m == 0:
            return _block_operator(operator.size, operator.n, lambda v: v / d, lambda w: w)
        if J is None:
            s = np.ones(operator.m)
        elif sp.issparse(J):
            s = np.asarray((J.multiply(J)) @ (1.0 / d)).reshape(-1)
        else:
            s = (J * J) @ (1.0 / d)
        s = s + operator.regularization
        s = np.where(s > 0, s, 1.0)
        return _block_operator(operator.size, operator.n, lambda v: v / d, lambda w: w / s)


@dataclasses.dataclass(frozen=True)
class SchurComplementPreconditioner:
    """``P = diag(D, J D^{-1} J^T + rho I)`` with the second block factorized (sparse LDL^T)."""

    backend: str = "auto"
    name = "schur"

    def build(self, operator: KKTOperator) -> LinearOperator:
        from .direct import LDLFactorization, KKTUpperPattern

        d = _hessian_diagonal(operator)
        J = _explicit_jacobian(operator)
        if J is None:
            raise TypeError("the Schur-complement preconditioner needs an explicit Jacobian; use 'jacobi'")
        if operator.m == 0:
            return _block_operator(operator.size, operator.n, lambda v: v / d, lambda w: w)
        J = sp.csr_array(J)
        schur = sp.csr_array(J @ sp.diags_array(1.0 / d) @ J.T)
        rho = max(operator.regularization, 1e-12 * max(1.0, float(abs(schur).max())))
        # S + rho I as the (1,1) block of a KKT pattern with no constraints: reuse the LDL^T backends.
        pattern = KKTUpperPattern.build(schur, sp.csr_array((0, operator.m)))
        factorization = LDLFactorization(pattern, rho, 1.0, self.backend)
        return _block_operator(operator.size, operator.n, lambda v: v / d, factorization.solve)


@dataclasses.dataclass(frozen=True)
class AutomaticPreconditioner:
    """Schur complement when J is explicit and an LDL^T backend is installed, block Jacobi otherwise."""

    backend: str = "auto"
    name = "auto"

    def build(self, operator: KKTOperator) -> LinearOperator:
        from .direct import backend_available

        if _explicit_jacobian(operator) is not None and operator.m and backend_available(self.backend):
            return SchurComplementPreconditioner(self.backend).build(operator)
        return BlockJacobiPreconditioner().build(operator)


def preconditioner(name: str, backend: str = "auto"):
    """The preconditioner factory called ``name`` ("auto", "none", "jacobi", "schur"), or None for "none"."""
    factories = {"none": None, "jacobi": BlockJacobiPreconditioner(), "schur": SchurComplementPreconditioner(backend),
                 "auto": AutomaticPreconditioner(backend)}
    if name not in factories:
        raise ValueError(f"unknown preconditioner {name!r}; choose one of {sorted(factories)}")
    return factories[name]
