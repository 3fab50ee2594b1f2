"""Sketch-and-project solvers for K z = b: Gaussian vector sketch and randomized Kaczmarz.

Update (Gower and Richtarik 2015; ALGORITHM.md step 4):
``z <- z - K^T S (S^T K K^T S)^+ S^T r`` with ``r = K z - b``.  K is symmetric, so ``K^T S = K S``.

At checkpoints (every ``max(N, MIN_STEPS)`` steps) the point of smallest residual in ``z +
span(recent progress directions, recycled previous steps)`` is computed
(:mod:`sketchsqp.linalg.subspace_extrapolation`); it is what a ``run`` hands back when it beats the
plain iterate, which is where the next ``run`` continues.  This removes the slow error components
that make the plain iteration stall on nearly singular K; ``subspace_memory=0`` gives the paper's
plain iteration.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .contract import (InnerOutcome, InnerState, InnerStatus, StagnationMonitor, initial_state, limit_status,
                       refresh_residual)
from .compiled import kaczmarz_csr_sweep, kaczmarz_dense_sweep
from .kkt import KKTOperator
from .sketches import GaussianVectorSketch, KaczmarzRowSketch
from .subspace_extrapolation import DEFAULT_MEMORY, subspace_extrapolation



_GAUSSIAN_BATCH = 32  # sketches drawn and multiplied together
_GAUSSIAN_BATCH_ENTRIES = 1 << 21  # at most this many entries (16 MiB) per batch of sketches


def _stagnation_patience(size: int) -> int:
    return max(200 * size, 20_000)


@dataclasses.dataclass(frozen=True)
class GaussianSketchSolver:
    """Gaussian vector sketch: two products with K per step, residual kept exact.

    ``subspace_memory``: progress directions kept for the extrapolation (0: none, the plain iteration).
    """

    sketch: GaussianVectorSketch = dataclasses.field(default_factory=GaussianVectorSketch)
    subspace_memory: int = DEFAULT_MEMORY
    name = "gaussian"

    def start(self, operator: KKTOperator, rhs, rng, z0=None, recycled=None) -> InnerState:
        state = initial_state(operator, rhs, rng, z0)
        state.extra["monitor"] = StagnationMonitor(_stagnation_patience(operator.size))
        # a step: its share of the batched products K S and K (K S), plus the updates of z and r
        # (a matrix-free K reports nnz = -1; N is then a lower bound)
        step_flops = 4.0 * (max(operator.nnz, operator.size) + operator.size)
        _attach_extrapolation(state, self.subspace_memory, recycled, flops_per_step=step_flops)
        return state

    def run(self, state: InnerState, target: float, max_iter: int, deadline: float) -> InnerOutcome:
        K = state.operator
        z, r = state.z, state.residual
        monitor: StagnationMonitor = state.extra["monitor"]
        norm = _resume(state)
        # The products K s and K (K s) of a step do not depend on z, so a batch of sketches is
        # drawn and multiplied at once (BLAS-3); the steps themselves stay sequential.  Rows of
        # standard_normal((batch, N)) are the vectors successive draws would give.
        batch_size = max(1, min(_GAUSSIAN_BATCH, _GAUSSIAN_BATCH_ENTRIES // max(K.size, 1)))
        extrapolation = state.extra["extrapolation"]
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
            if extrapolation is not None and norm > target:
                norm = extrapolation.checkpoint(z, r, count)
        if not np.isfinite(norm):
            status = InnerStatus.BREAKDOWN
        if extrapolation is not None:
            extrapolation.finish(state)
        state.iterations += done
        state.rows_touched += done * K.size
        return InnerOutcome(status, done, norm)


@dataclasses.dataclass(frozen=True)
class KaczmarzSolver:
    """Randomized Kaczmarz on the rows of an explicit K.

    A step touches one row: ``r_i`` is computed on demand in O(nnz(row i)); the full residual is
    recomputed only every ``check_interval`` steps (default: N, one sweep), when the stopping test
    needs it.  The steps of a batch run in a compiled loop when numba is installed and
    ``compiled`` is true (:mod:`sketchsqp.linalg.compiled`), else in Python.  ``subspace_memory``:
    progress directions kept for the extrapolation at residual checks (0: none, the plain iteration).
    """

    sketch: KaczmarzRowSketch = dataclasses.field(default_factory=KaczmarzRowSketch)
    check_interval: int | None = None
    compiled: bool = True
    subspace_memory: int = DEFAULT_MEMORY
    name = "kaczmarz"

    def start(self, operator: KKTOperator, rhs, rng, z0=None, recycled=None) -> InnerState:
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
        # a step reads one row for r_i and updates z along it; the residual refresh adds one product per sweep
        _attach_extrapolation(state, self.subspace_memory, recycled, flops_per_step=6.0 * operator.nnz / operator.size)
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
        extrapolation = state.extra["extrapolation"]
        norm = _resume(state)
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
            if extrapolation is not None and norm > target:
                norm = extrapolation.checkpoint(z, state.residual, batch)
        if extrapolation is not None:
            extrapolation.finish(state)
        state.iterations += done
        return InnerOutcome(status, done, norm)


def _resume(state: InnerState) -> float:
    """The residual norm of the point the last ``run`` handed back (what a new target is compared
    with); the plain iterate is put back in the state for the steps to continue from."""
    norm = state.residual_norm
    extrapolation = state.extra["extrapolation"]
    if extrapolation is not None:
        extrapolation.resume(state)
    return norm


def _attach_extrapolation(state: InnerState, memory: int, recycled: np.ndarray | None, *,
                       flops_per_step: float) -> None:
    # A regularised K (rank-deficient Jacobian) has artificial nearly null directions from its
    # -rho I block; the minimum-residual extrapolation would move far along them, whereas the plain
    # iteration stopped early keeps the step short.
    if state.operator.regularization > 0:
        memory = 0
    extrapolation = subspace_extrapolation(state.operator, state.rhs, memory, recycled, flops_per_step)
    if extrapolation is not None:
        extrapolation.mark(state.z, state.residual)
    state.extra["extrapolation"] = extrapolation
