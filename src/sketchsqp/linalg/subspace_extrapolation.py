"""Minimum-residual extrapolation of a sketch-and-project iteration over a small subspace.

The paper's row sketches (randomized Kaczmarz, Gaussian vector) converge at a rate set by
``sigma_min(K)^2 / ||K||_F^2``: they stall where K is nearly singular -- near a minimizer whose
reduced Hessian is singular (HS26, HS46-HS49), or where ``J J^T`` nearly is (BT1, BT7).  The slow
part of the error then lies along a few directions that the iteration keeps moving along, so it is
captured by

* the recent progress directions of the iteration itself, ``z_j - z_{j-1}`` between checkpoints
  (their images ``K (z_j - z_{j-1})`` are residual differences, free), and
* the previous Newton steps, recycled across outer iterations: near a degenerate minimizer they
  point along the same nearly null direction of K from one iteration to the next.

At each checkpoint the best point of ``z + span(V)`` is sought,

    z* = z + V c,   c = argmin_c ||r + K V c||,   r = K z - b,

which is sketch-and-project with the *column* sketch V in the norm of ``K^T K`` (Gower and
Richtarik 2015, "Randomized iterative methods for linear systems", section 2).  With the progress
directions alone it is reduced-rank extrapolation (RRE; Mesina 1977, Eddy 1979), which on a
stationary linear iteration is GMRES (Sidi 1988).  It is used as *extrapolation*: the row sketches
run on undisturbed and only the point handed back is ``z*`` when its residual is smaller.  Feeding
``z*`` back into the iteration was tried and stalls once N exceeds the memory: the restarted
minimum-residual step keeps undoing the error reduction of the row steps (seen on the logistic
regression problems, N = 45..311).  So the plain iteration's guarantees are kept, and the answer
is never worse than the plain iterate.
"""

from __future__ import annotations

import math

import numpy as np

DEFAULT_MEMORY = 5  # progress directions kept: enough for the classical set's degenerate problems (HS26, HS46-49, BT7)
# Least steps between checkpoints.  A checkpoint costs a dense least-squares solve with N rows and p
# columns (about 4 N p^2 flops, plus a call overhead that dominates on small systems, where a whole
# Kaczmarz sweep takes microseconds); checkpoints are spaced so that they cost at most about a
# quarter of the sketch steps between them (`checkpoint_interval`).
MIN_STEPS = 256
_CHECKPOINT_SHARE = 0.25
_RCOND = 1e-10  # relative singular-value cut-off of the (column-scaled) least-squares problem
# The residual r + K V c loses about eps * sum |c_i| ||K v_i|| to rounding; past this multiple of its
# norm (nearly parallel directions give large cancelling coefficients) it is recomputed as K z* - b.
_REFRESH_AMPLIFICATION = 1e6


class SubspaceExtrapolation:
    """Keeps the last ``memory`` progress directions (and fixed recycled ones) and the best point found.

    Parameters
    ----------
    operator, rhs : K (with ``matvec``) and b, to recompute a residual when rounding demands it.
    memory : how many progress directions to keep (oldest dropped first).
    recycled, recycled_images : optional fixed directions V0 (N x k) and their images K V0.
    min_steps : least number of steps between checkpoints.

    Protocol for a solver: :meth:`mark` at the start; :meth:`checkpoint` at each residual check (it
    returns the smaller of the plain and the extrapolated residual norm, for the stopping test);
    :meth:`finish` when a ``run`` ends (the best point goes into the state) and :meth:`resume`
    when the next ``run`` starts (the plain iterate comes back).
    Memory: ``2 (memory + k + 2)`` vectors of length N.
    """

    def __init__(self, operator, rhs: np.ndarray, memory: int, recycled: np.ndarray | None = None,
                 recycled_images: np.ndarray | None = None, min_steps: int = MIN_STEPS):
        if memory < 1:
            raise ValueError(f"memory must be at least 1, got {memory}")
        self.operator = operator
        self.rhs = rhs
        self.memory = memory
        self.min_steps = min_steps
        self.directions: list[np.ndarray] = []
        self.images: list[np.ndarray] = []
        if recycled is not None and recycled.shape[1]:
            self.recycled = list(np.asarray(recycled).T)
            self.recycled_images = list(np.asarray(recycled_images).T)
        else:
            self.recycled, self.recycled_images = [], []
        self.best: tuple | None = None  # (z*, r*, ||r*||) of the last checkpoint, when better than the plain point
        self.plain: tuple | None = None  # the plain (z, r) while finish() has put z* in the state
        self.improvements = 0  # checkpoints whose extrapolated point beat the plain one
        self.refreshes = 0  # residuals recomputed because of cancellation
        self._z_mark: np.ndarray | None = None
        self._r_mark: np.ndarray | None = None
        self._steps = 0

    def mark(self, z: np.ndarray, r: np.ndarray) -> None:
        self._z_mark = z.copy()
        self._r_mark = r.copy()
        self._steps = 0

    def checkpoint(self, z: np.ndarray, r: np.ndarray, steps: int) -> float:
        """After ``steps`` more steps of the plain iteration (now at ``z``, residual ``r``): at a
        checkpoint, record the progress since the last one and extrapolate.  ``z`` and ``r`` are not
        changed.  Returns ``min(||r||, ||r*||)``."""
        norm = float(np.linalg.norm(r))
        self._steps += steps
        if self._steps < self.min_steps:
            return norm if self.best is None else min(norm, self.best[2])
        if self._z_mark is not None:
            progress = z - self._z_mark
            if np.any(progress):
                self.directions.append(progress)
                self.images.append(r - self._r_mark)
                if len(self.directions) > self.memory:
                    del self.directions[0], self.images[0]
        self.best = self._extrapolate(z, r, norm)
        self.mark(z, r)
        return norm if self.best is None else self.best[2]

    def _extrapolate(self, z: np.ndarray, r: np.ndarray, norm: float) -> tuple | None:
        columns = self.directions + self.recycled
        if not columns:
            return None
        basis = np.column_stack(columns)
        images = np.column_stack(self.images + self.recycled_images)
        # Directions are scaled to unit length (they differ in size by orders of magnitude), so the
        # minimum-norm least-squares solution is the smallest move of z; scaling the images instead
        # would blow nearly null directions of K, where the residual is flat, up into huge moves.
        scale = np.linalg.norm(basis, axis=0)
        scale[scale == 0.0] = 1.0
        coefficients = np.linalg.lstsq(images / scale, -r, rcond=_RCOND)[0] / scale
        residual = r + images @ coefficients
        residual_norm = float(np.linalg.norm(residual))
        if not (np.isfinite(residual_norm) and residual_norm < norm):
            return None
        point = z + basis @ coefficients
        if np.abs(coefficients) @ np.linalg.norm(images, axis=0) > _REFRESH_AMPLIFICATION * max(residual_norm, 1e-300):
            residual = self.operator.matvec(point) - self.rhs
            residual_norm = float(np.linalg.norm(residual))
            self.refreshes += 1
            if not residual_norm < norm:
                return None
        self.improvements += 1
        return point, residual, residual_norm

    def finish(self, state) -> None:
        """Put the best point into ``state.z``/``state.residual`` (in place), keeping the plain iterate."""
        self.plain = None
        if self.best is not None and self.best[2] < float(np.linalg.norm(state.residual)):
            self.plain = (state.z.copy(), state.residual.copy())
            state.z[:] = self.best[0]
            state.residual[:] = self.best[1]

    def resume(self, state) -> None:
        """Undo :meth:`finish`: the plain iteration continues where it was."""
        if self.plain is not None:
            state.z[:] = self.plain[0]
            state.residual[:] = self.plain[1]
            self.plain = None


def checkpoint_interval(size: int, columns: int, flops_per_step: float) -> int:
    """Steps between checkpoints so that a checkpoint (about ``4 N p^2`` flops) costs at most
    ``_CHECKPOINT_SHARE`` of the steps between two of them; at least one pass (N steps) and
    ``MIN_STEPS``."""
    steps = 4.0 * size * columns**2 / (_CHECKPOINT_SHARE * max(flops_per_step, 1.0))
    return max(MIN_STEPS, size, int(math.ceil(steps)))


def subspace_extrapolation(operator, rhs: np.ndarray, memory: int, recycled: np.ndarray | None,
                        flops_per_step: float) -> SubspaceExtrapolation | None:
    """The extrapolation a sketch solver uses on ``K z = rhs``; None when ``memory`` is 0 (the plain iteration).

    ``flops_per_step``: the cost of one step of the solver, which sets the checkpoint interval."""
    if memory <= 0:
        return None
    recycled_count = 0 if recycled is None else recycled.shape[1]
    images = operator.matmat(recycled) if recycled_count else None
    interval = checkpoint_interval(operator.size, memory + recycled_count, flops_per_step)
    return SubspaceExtrapolation(operator, rhs, memory, recycled, images, min_steps=interval)
