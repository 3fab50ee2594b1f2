"""Restarted GMRES that shows every iterate to a caller's stopping test.

The inexact SQP baselines stop the Krylov solver on tests that involve the step itself (the
model reduction of the l1 merit), not only on the residual norm.  So after each Arnoldi step this
solver forms the iterate ``z_k`` and its residual ``K z_k - b`` -- both from the Arnoldi relation
``K V_k = V_{k+1} Hbar_k``, without a further product with K -- and asks ``accept(iterate)``.
Reference: Y. Saad, M. H. Schultz, "GMRES: a generalized minimal residual algorithm", SIAM J. Sci.
Stat. Comput. 7 (1986); Y. Saad, "Iterative Methods for Sparse Linear Systems", 2nd ed., Sec. 6.5.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Callable

import numpy as np
from scipy.linalg import solve_triangular

from ...linalg import InnerStatus

# A restart cycle that cuts the residual by less than this factor counts as stagnation (restarted
# GMRES can stall on indefinite systems).
STAGNATION_FACTOR = 1.0 - 1e-3
# Residual norms below this multiple of machine epsilon times ||b|| are the rounding floor.
FLOOR_FACTOR = 10.0
# With ``restart=None`` the Krylov basis may use this much memory (then GMRES restarts) ...
BASIS_MEMORY_BUDGET = 256 * 2**20  # bytes
# ... but never fewer vectors than this, nor more than that (forming every iterate costs
# O(k^2) per iteration in the small least-squares problem).
MIN_AUTOMATIC_RESTART = 20
MAX_AUTOMATIC_RESTART = 1000


def automatic_restart(size: int) -> int:
    """Full GMRES when the basis of ``size + 1`` vectors fits the memory budget, else as many as fit."""
    fitting = BASIS_MEMORY_BUDGET // (8 * max(size, 1)) - 1
    return int(max(MIN_AUTOMATIC_RESTART, min(size, fitting, MAX_AUTOMATIC_RESTART)))


@dataclasses.dataclass(frozen=True)
class KrylovIterate:
    """One GMRES iterate with what the stopping tests need."""

    z: np.ndarray
    residual: np.ndarray  # K z - b
    product: np.ndarray  # K z
    iterations: int  # Krylov iterations done so far in this solve
    exhausted: bool = False  # no later iterate can be better: exact in the Krylov space, or at the rounding floor


@dataclasses.dataclass(frozen=True)
class GMRESOutcome:
    status: InnerStatus  # REACHED: ``accept`` returned True for ``iterate``
    iterate: KrylovIterate | None  # the last iterate formed (None when none was)
    iterations: int


@dataclasses.dataclass(frozen=True)
class MonitoredGMRES:
    """GMRES(restart) from ``z = 0`` that stops when ``accept(iterate)`` returns True.

    ``restart=None`` chooses :func:`automatic_restart` (full GMRES for systems up to a thousand
    unknowns).  Statuses: REACHED (accepted), MAX_ITER (``max_iter`` Arnoldi steps), TIME_LIMIT (deadline),
    STAGNATED (the exact solution of the Krylov space was reached, the residual is at the rounding
    floor, or a restart cycle made no progress -- and the test still refuses), BREAKDOWN
    (non-finite product).
    """

    restart: int | None = None
    max_iter: int = 100_000
    name: str = "gmres"

    def solve(self, matvec: Callable[[np.ndarray], np.ndarray], rhs: np.ndarray,
              accept: Callable[[KrylovIterate], bool] | None = None, *,
              residual_target: float | Callable[[], float] | None = None,
              deadline: float = math.inf) -> GMRESOutcome:
        """Iterate on ``K z = rhs`` until an iterate is accepted.

        An iterate is formed, and offered to ``accept``, once GMRES's residual estimate
        ``||K z - b||_2`` is at most ``residual_target`` (a number, or a callable asked at every
        iteration, for a target that the caller tightens; every iteration when None).  Forming an
        iterate costs O((n + m) k), so a caller whose test implies a residual bound passes it here.
        ``accept=None`` accepts the first iterate offered.  The outcome carries the last iterate
        formed, which is formed at exit too.
        """
        size = rhs.shape[0]
        rhs_norm = float(np.linalg.norm(rhs))
        z = np.zeros(size)
        product = np.zeros(size)

        def offered(iterate: KrylovIterate) -> bool:
            return True if accept is None else bool(accept(iterate))

        if rhs_norm == 0.0:
            zero = KrylovIterate(z, -rhs.copy(), product, 0)
            return GMRESOutcome(InnerStatus.REACHED if offered(zero) else InnerStatus.STAGNATED, zero, 0)
        floor = FLOOR_FACTOR * np.finfo(float).eps * rhs_norm
        if residual_target is None or callable(residual_target):
            target = residual_target
        else:
            def target() -> float:
                return float(residual_target)
        restart = automatic_restart(size) if self.restart is None else self.restart
        total = 0
        last: KrylovIterate | None = None
        while True:
            start_residual = rhs - product  # b - K z
            beta = float(np.linalg.norm(start_residual))
            cycle = min(restart, size, self.max_iter - total)
            if cycle <= 0:
                return GMRESOutcome(InnerStatus.MAX_ITER, last, total)
            basis = np.zeros((cycle + 1, size))
            basis[0] = start_residual / beta
            hessenberg = np.zeros((cycle + 1, cycle))  # Hbar, as built by Arnoldi
            triangle = np.zeros((cycle, cycle))  # R: Hbar after the Givens rotations
            cosines = np.zeros(cycle)
            sines = np.zeros(cycle)
            rotated_rhs = np.zeros(cycle + 1)
            rotated_rhs[0] = beta

            def form(j: int, exhausted: bool = False) -> KrylovIterate:
                # z_j = z + V_j y and K z_j = K z + V_{j+1} Hbar_j y, with R_j y = (Q^T beta e1)_j.
                coords = solve_triangular(triangle[: j + 1, : j + 1], rotated_rhs[: j + 1], check_finite=False)
                new_product = product + basis[: j + 2].T @ (hessenberg[: j + 2, : j + 1] @ coords)
                return KrylovIterate(z + basis[: j + 1].T @ coords, new_product - rhs, new_product, total, exhausted)

            for j in range(cycle):
                if time.perf_counter() > deadline:
                    return GMRESOutcome(InnerStatus.TIME_LIMIT, form(j - 1) if j else last, total)
                w = np.asarray(matvec(basis[j]), dtype=float).reshape(-1)
                total += 1
                if not np.all(np.isfinite(w)):
                    return GMRESOutcome(InnerStatus.BREAKDOWN, last, total)
                column_norm = float(np.linalg.norm(w))
                # Classical Gram-Schmidt twice ("CGS2"): orthogonal to working precision, BLAS-2 speed.
                coefficients = basis[: j + 1] @ w
                w -= basis[: j + 1].T @ coefficients
                correction = basis[: j + 1] @ w
                w -= basis[: j + 1].T @ correction
                coefficients += correction
                next_norm = float(np.linalg.norm(w))
                hessenberg[: j + 1, j] = coefficients
                hessenberg[j + 1, j] = next_norm
                if next_norm > 0.0:
                    basis[j + 1] = w / next_norm

                column = hessenberg[: j + 2, j].copy()
                for i in range(j):
                    upper = cosines[i] * column[i] + sines[i] * column[i + 1]
                    column[i + 1] = -sines[i] * column[i] + cosines[i] * column[i + 1]
                    column[i] = upper
                radius = math.hypot(column[j], column[j + 1])
                if radius == 0.0:  # K maps the new direction to zero: singular K, nothing more to gain
                    return GMRESOutcome(InnerStatus.STAGNATED, form(j - 1) if j else last, total)
                cosines[j], sines[j] = column[j] / radius, column[j + 1] / radius
                triangle[: j + 1, j] = column[: j + 1]
                triangle[j, j] = radius
                rotated_rhs[j + 1] = -sines[j] * rotated_rhs[j]
                rotated_rhs[j] = cosines[j] * rotated_rhs[j]

                estimate = abs(rotated_rhs[j + 1])  # ||K z_j - b||_2 in exact arithmetic
                invariant = next_norm <= np.finfo(float).eps * max(column_norm, 1e-300)
                exhausted = invariant or estimate <= floor
                if target is None or exhausted or estimate <= target():
                    last = form(j, exhausted)
                    if offered(last):
                        return GMRESOutcome(InnerStatus.REACHED, last, total)
                if exhausted:
                    return GMRESOutcome(InnerStatus.STAGNATED, last, total)
                if total >= self.max_iter:
                    return GMRESOutcome(InnerStatus.MAX_ITER, form(j), total)
            last = form(cycle - 1)
            z = last.z
            product = np.asarray(matvec(z), dtype=float).reshape(-1)  # fresh K z: no drift across restarts
            if float(np.linalg.norm(rhs - product)) > STAGNATION_FACTOR * beta:
                return GMRESOutcome(InnerStatus.STAGNATED, last, total)
