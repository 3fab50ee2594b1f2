"""Block sketch-and-project: ``z <- z - K S (S^T K K S)^+ S^T r`` with an N x q sketch S, q > 1.

K is symmetric, so ``K^T S = K S``.  One step costs the product ``W = K S`` (N x q: q products with K
for a Gaussian S, about ``nonzeros_per_row`` for a sparse sign S, the q rows of K for a row block),
the q x q Gram matrix ``W^T W`` and its (pseudo-)inverse, and one product ``K (W w)`` to keep the
residual exact.  Row blocks (block Kaczmarz) skip that last product: ``S^T r`` is the q entries of
``K z - b`` on the chosen rows, computed on demand in O(nnz of those rows), and the full residual
is recomputed only once per sweep (every ``ceil(N / q)`` steps) for the stopping test.

The Gram solve uses a Cholesky factorization, falling back to a least-squares solve when the Gram
matrix is singular (repeated or dependent sketch columns), which gives the pseudo-inverse step.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from .contract import (InnerOutcome, InnerState, InnerStatus, StagnationMonitor, initial_state, limit_status,
                       refresh_residual)
from .kkt import KKTOperator
from .sketches import GaussianBlockSketch

_CLOCK_EVERY = 16  # steps between deadline checks


def _gram_solve(gram: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    try:
        factor = la.cho_factor(gram, lower=True, check_finite=False)
        return la.cho_solve(factor, rhs, check_finite=False)
    except la.LinAlgError:
        return la.lstsq(gram, rhs, cond=1e-13, check_finite=False)[0]


@dataclasses.dataclass(frozen=True)
class BlockSketchSolver:
    """Sketch-and-project with a block sketch (:mod:`sketchsqp.linalg.sketches`: Gaussian, sparse sign, row block)."""

    sketch: object = dataclasses.field(default_factory=GaussianBlockSketch)
    name = "block"

    def start(self, operator: KKTOperator, rhs, rng, z0=None, recycled=None) -> InnerState:
        if getattr(self.sketch, "needs_rows", False) and not operator.is_explicit:
            raise TypeError("a row-block sketch needs row access to an explicit KKT matrix; this one is "
                            "matrix-free -- use the Gaussian or sparse-sign block sketch instead")
        state = initial_state(operator, rhs, rng, z0)
        q = min(self.sketch.block_size, operator.size)
        steps_per_sweep = -(-operator.size // q)
        state.extra["monitor"] = StagnationMonitor(max(200 * steps_per_sweep, 2_000))
        state.extra["steps_per_sweep"] = steps_per_sweep
        state.extra["rhs_contiguous"] = np.ascontiguousarray(rhs, dtype=float)
        return state

    def run(self, state: InnerState, target: float, max_iter: int, deadline: float) -> InnerOutcome:
        if getattr(self.sketch, "needs_rows", False):
            return self._run_rows(state, target, max_iter, deadline)
        return self._run_projections(state, target, max_iter, deadline)

    # ------------------------------------------------------------------ Gaussian / sparse sign
    def _run_projections(self, state: InnerState, target: float, max_iter: int, deadline: float) -> InnerOutcome:
        K = state.operator
        z, r = state.z, state.residual
        monitor: StagnationMonitor = state.extra["monitor"]
        norm = float(np.linalg.norm(r))
        done = 0
        status = InnerStatus.REACHED
        while norm > target:
            # the clock is read every _CLOCK_EVERY steps only: a step costs less than the call
            stop = limit_status(done, max_iter, deadline if done % _CLOCK_EVERY == 0 else math.inf)
            if stop is not None:
                status = stop
                break
            S = self.sketch.draw(state.rng, K.size)
            if sp.issparse(S):
                W = np.asarray((K.matrix @ S).toarray()) if K.is_explicit and not K.is_dense \
                    else K.matmat(S.toarray())
                sketched_residual = np.asarray(S.T @ r).reshape(-1)
            else:
                W = K.matmat(S)
                sketched_residual = S.T @ r
            w = _gram_solve(W.T @ W, sketched_residual)
            step = W @ w
            z -= step
            r -= K.matvec(step)
            norm = float(np.linalg.norm(r))
            done += 1
            state.rows_touched += K.size * S.shape[1]
            if not np.isfinite(norm):
                status = InnerStatus.BREAKDOWN
                break
            if monitor.update(norm, 1):
                status = InnerStatus.STAGNATED
                break
        state.iterations += done
        return InnerOutcome(status, done, norm)

    # ------------------------------------------------------------------ row blocks (block Kaczmarz)
    def _run_rows(self, state: InnerState, target: float, max_iter: int, deadline: float) -> InnerOutcome:
        K = state.operator
        z = state.z
        b = state.extra["rhs_contiguous"]
        monitor: StagnationMonitor = state.extra["monitor"]
        sweep = state.extra["steps_per_sweep"]
        norm = state.residual_norm
        done = 0
        status = InnerStatus.REACHED
        while norm > target:
            stop = limit_status(done, max_iter, deadline)
            if stop is not None:
                status = stop
                break
            batch = min(sweep, max_iter - done)
            for _ in range(batch):
                rows = self.sketch.draw(state.rng, K.size)
                block = K.rows(rows)  # q x N
                sketched_residual = np.asarray(block @ z).reshape(-1) - b[rows]
                gram = block @ block.T
                gram = gram.toarray() if sp.issparse(gram) else np.asarray(gram)
                w = _gram_solve(gram, sketched_residual)
                z -= np.asarray(block.T @ w).reshape(-1)
                state.rows_touched += block.nnz if sp.issparse(block) else block.size
            done += batch
            norm, stop = refresh_residual(state, monitor, batch)
            if stop is not None:
                status = stop
                break
        state.iterations += done
        return InnerOutcome(status, done, norm)
