"""The direct inner solver: one sparse LDL^T factorization of K, then iterative refinement.

It follows the inner-solver contract (:mod:`sketchsqp.linalg.contract`): ``start`` factorizes (or
takes the factorization that inertia correction attached to the operator), ``run`` refines
``z <- z - F^{-1} (K z - b)`` until ``||K z - b|| <= target``.  One refinement step (one pair of
triangular solves) counts as one inner iteration.  The factorized matrix carries a tiny
``-delta_c I`` block (see :mod:`sketchsqp.linalg.direct`), which refinement removes.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .contract import InnerOutcome, InnerState, InnerStatus, initial_state, limit_status
from .direct import DUAL_REGULARIZATION_DEFAULT, KKTUpperPattern, LDLFactorization
from .kkt import KKTOperator

REFINEMENT_PROGRESS = 0.5  # a refinement step must at least halve the residual, else we are at the rounding floor


@dataclasses.dataclass(frozen=True)
class SparseDirectSolver:
    """Sparse LDL^T (PARDISO or QDLDL, see :mod:`sketchsqp.linalg.direct`) plus iterative refinement."""

    backend: str = "auto"
    dual_regularization: float = DUAL_REGULARIZATION_DEFAULT
    name = "direct"

    def start(self, operator: KKTOperator, rhs, rng, z0=None, recycled=None) -> InnerState:
        factorization = operator.factorization
        if factorization is None:
            pattern = KKTUpperPattern.build(operator.hessian_block, operator.jacobian)
            factorization = LDLFactorization(pattern, 0.0, max(self.dual_regularization, operator.regularization),
                                             self.backend)
        state = initial_state(operator, rhs, rng, z0)
        state.extra["factorization"] = factorization
        state.extra["solves"] = 0
        return state

    def run(self, state: InnerState, target: float, max_iter: int, deadline: float) -> InnerOutcome:
        K = state.operator
        factorization: LDLFactorization = state.extra["factorization"]
        norm = state.residual_norm
        done = 0
        status = InnerStatus.REACHED
        while norm > target:
            stop = limit_status(done, max_iter, deadline)
            if stop is not None:
                status = stop
                break
            z_new = state.z - factorization.solve(state.residual)
            residual = K.matvec(z_new) - state.rhs
            new_norm = float(np.linalg.norm(residual))
            done += 1
            state.extra["solves"] += 1
            if not np.isfinite(new_norm):
                status = InnerStatus.BREAKDOWN
                break
            if new_norm > REFINEMENT_PROGRESS * norm:
                if new_norm < norm:
                    state.z, state.residual, norm = z_new, residual, new_norm
                status = InnerStatus.STAGNATED
                break
            state.z, state.residual, norm = z_new, residual, new_norm
        state.iterations += done
        state.rows_touched += done * K.size
        return InnerOutcome(status, done, norm)
