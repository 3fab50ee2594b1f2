"""Sketch-and-project solvers for K z = b: Gaussian vector sketch and randomized Kaczmarz.

Update (Gower and Richtarik 2015; ALGORITHM.md step 4):
``z <- z - K^T S (S^T K K^T S)^+ S^T r`` with ``r = K z - b``.  K is symmetric, so ``K^T S = K S``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .contract import (InnerOutcome, InnerState, InnerStatus, StagnationMonitor, initial_state, limit_status,
                       refresh_residual)
from .compiled import kaczmarz_csr_sweep, kaczmarz_dense_sweep
from .kkt import KKTOperator
from .sketches import GaussianVectorSketch, KaczmarzRowSketch



_GAUSSIAN_BATCH = 32  # sketches drawn and multiplied together
_GAUSSIAN_BATCH_ENTRIES = 1 << 21  # at most this many entries (16 MiB) per batch of sketches


def _stagnation_patience(size: int) -> int:
    return max(200 * size, 20_000)


@dataclasses.dataclass(frozen=True)
class GaussianSketchSolver:
    """Gaussian vector sketch: two products with K per step, residual kept exact."""

    sketch: GaussianVectorSketch = dataclasses.field(default_factory=GaussianVectorSketch)
    name = "gaussian"

    def start(self, operator: KKTOperator, rhs, rng, z0=None) -> InnerState:
        state = initial_state(operator, rhs, rng, z0)
        state.extra["monitor"] = StagnationMonitor(_stagnation_patience(operator.size))
        return state

    def run(self, state: InnerState, target: float, max_iter: int, deadline: float) -> InnerOutcome:
        K = state.operator
        z, r = state.z, state.residual
        monitor: StagnationMonitor = state.extra["monitor"]
        norm = float(np.linalg.norm(r))
        # The products K s and K (K s) of a step do not depend on z, so a batch of sketches is
        # drawn and multiplied at once (BLAS-3); the steps themselves stay sequential.  Rows of
        # standard_normal((batch, N)) are the vectors successive draws would give.
        batch_size = max(1, min(_GAUSSIAN_BATCH, _GAUSSIAN_BATCH_ENTRIES // max(K.size, 1)))
        done = 0
        status = InnerStatus.REACHED
        while norm > target:
            stop = limit_status(done, max_iter, deadline)
            if stop is not None:
                status = stop
                break
            count = min(batch_size, max_iter - done)
            sketches = self.sketch.draw_batch(state.rng, count, K.size)  # (count, N)
            images = K.matmat(sketches.T)  # K^T S for each sketch, (N, count)
            images_twice = K.matmat(images)  # K K^T S
            denominators = np.einsum("ij,ij->j", images, images)
            for j in range(count):
                done += 1
                if denominators[j] == 0.0:
                    continue
                coef = float(sketches[j] @ r) / denominators[j]
                z -= coef * images[:, j]
                r -= coef * images_twice[:, j]
                norm = float(np.linalg.norm(r))
                if norm <= target:
                    break
                if monitor.update(norm, 1):
                    status = InnerStatus.STAGNATED
                    break
            if status is InnerStatus.STAGNATED or not np.isfinite(norm):
                break
        if not np.isfinite(norm):
            status = InnerStatus.BREAKDOWN
        state.iterations += done
        state.rows_touched += done * K.size
        return InnerOutcome(status, done, norm)


@dataclasses.dataclass(frozen=True)
class KaczmarzSolver:
    """Randomized Kaczmarz on the rows of an explicit K.

    A step touches one row: ``r_i`` is computed on demand in O(nnz(row i)); the full residual is
    recomputed only every ``check_interval`` steps (default: N, one sweep), when the stopping test
    needs it.  The steps of a batch run in a compiled loop when numba is installed and
    ``compiled`` is true (:mod:`sketchsqp.linalg.compiled`), else in Python.
    """

    sketch: KaczmarzRowSketch = dataclasses.field(default_factory=KaczmarzRowSketch)
    check_interval: int | None = None
    compiled: bool = True
    name = "kaczmarz"

    def start(self, operator: KKTOperator, rhs, rng, z0=None) -> InnerState:
        if not operator.is_explicit:
            raise TypeError(
                "randomized Kaczmarz needs row access to an explicit KKT matrix; this problem gives a "
                "matrix-free Jacobian or Hessian -- use the Gaussian sketch or a Krylov method instead"
            )
        state = initial_state(operator, rhs, rng, z0)
        norms = operator.row_norms_squared()
        state.extra["row_norms_squared"] = norms
        state.extra["probabilities"] = self.sketch.probabilities(norms)
        state.extra["monitor"] = StagnationMonitor(_stagnation_patience(operator.size))
        state.extra["rhs_contiguous"] = np.ascontiguousarray(rhs, dtype=float)
        return state

    def run(self, state: InnerState, target: float, max_iter: int, deadline: float) -> InnerOutcome:
        K = state.operator
        size = K.size
        z = state.z
        b = state.extra["rhs_contiguous"]
        norms = state.extra["row_norms_squared"]
        probs = state.extra["probabilities"]
        monitor: StagnationMonitor = state.extra["monitor"]
        interval = self.check_interval or max(1, size)
        norm = state.residual_norm
        done = 0
        status = InnerStatus.REACHED
        mat = K.matrix
        while norm > target:
            stop = limit_status(done, max_iter, deadline)
            if stop is not None:
                status = stop
                break
            batch = min(interval, max_iter - done)
            rows = self.sketch.draw_rows(state.rng, batch, size, probs)
            if K.is_dense:
                touched = kaczmarz_dense_sweep(mat, norms, b, z, rows, compiled=self.compiled)
            else:
                touched = kaczmarz_csr_sweep(mat.indptr, mat.indices, mat.data, norms, b, z, rows,
                                             compiled=self.compiled)
            done += batch
            state.rows_touched += touched
            norm, stop = refresh_residual(state, monitor, batch)
            if stop is not None:
                status = stop
                break
        state.iterations += done
        return InnerOutcome(status, done, norm)
