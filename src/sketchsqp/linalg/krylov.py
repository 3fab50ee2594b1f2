"""Krylov inner solvers (SciPy's MINRES and GMRES) under the inner-solver contract.

``run(state, target, ...)`` calls SciPy from the current ``z`` (``x0`` warm start) and then checks
the *true* residual ``||K z - b||`` against ``target``: SciPy's own tests use a preconditioned or
estimated residual, so when the true one is still too large the relative tolerance handed to
SciPy is tightened by the observed ratio and the solve continues from where it stopped.  The
adaptive outer loop does the same when it tightens the accuracy.  Iterations are counted through
SciPy's callback (one per matrix-vector product with K, restarts included for GMRES).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from scipy.sparse.linalg import gmres, minres

from .contract import InnerOutcome, InnerState, InnerStatus, initial_state, limit_status
from .kkt import KKTOperator

PROGRESS = 0.99  # a continuation that does not cut the best true residual by this factor is idle
IDLE_CALLS = 3  # consecutive idle continuations before STAGNATED
TOLERANCE_FLOOR = 1e-15  # SciPy tolerances below machine precision are pointless


class _Deadline(Exception):
    pass


def _start(operator: KKTOperator, rhs, rng, z0, preconditioner) -> InnerState:
    state = initial_state(operator, rhs, rng, z0)
    state.extra["preconditioner"] = preconditioner.build(operator) if preconditioner is not None else None
    state.extra["tolerance_ratio"] = 1.0  # true residual / SciPy's estimate, learnt on the way
    state.extra["best"] = state.residual_norm
    state.extra["idle_calls"] = 0
    return state


def _krylov_run(state: InnerState, target: float, max_iter: int, deadline: float, call) -> InnerOutcome:
    K = state.operator
    rhs_norm = float(np.linalg.norm(state.rhs))
    norm = state.residual_norm
    done = 0
    status = InnerStatus.REACHED
    while norm > target:
        stop = limit_status(done, max_iter, deadline)
        if stop is not None:
            status = stop
            break
        rtol = max(TOLERANCE_FLOOR, target / max(rhs_norm, np.finfo(float).tiny) / state.extra["tolerance_ratio"])
        counter = {"iterations": 0, "last": state.z}

        def callback(xk=None, counter=counter):
            counter["iterations"] += 1
            if xk is not None and np.ndim(xk) == 1:
                counter["last"] = np.array(xk, copy=True)
            if counter["iterations"] % 16 == 0 and time.perf_counter() > deadline:
                raise _Deadline

        timed_out = False
        try:
            z_new = call(K, state.rhs, state.z, rtol, max_iter - done, state.extra["preconditioner"], callback)
        except _Deadline:
            z_new, timed_out = counter["last"], True
        done += max(counter["iterations"], 1)
        residual = K.matvec(z_new) - state.rhs
        new_norm = float(np.linalg.norm(residual))
        if not np.isfinite(new_norm):
            status = InnerStatus.BREAKDOWN
            break
        # A preconditioned Krylov method minimises a weighted residual, so the 2-norm need not
        # fall monotonically: keep the newest iterate (the continuation starts from it) and judge
        # progress by the best 2-norm seen.
        state.z, state.residual, norm = np.asarray(z_new, dtype=float), residual, new_norm
        if new_norm < PROGRESS * state.extra["best"]:
            state.extra["best"], state.extra["idle_calls"] = new_norm, 0
        else:
            state.extra["idle_calls"] += 1
        estimate = rtol * rhs_norm
        if new_norm > target and estimate > 0:
            state.extra["tolerance_ratio"] = max(state.extra["tolerance_ratio"], 2.0 * new_norm / estimate)
        if timed_out:
            status = InnerStatus.TIME_LIMIT
            break
        if norm > target and (state.extra["idle_calls"] >= IDLE_CALLS or rtol <= TOLERANCE_FLOOR):
            status = InnerStatus.STAGNATED
            break
    state.iterations += done
    state.rows_touched += done * K.size
    return InnerOutcome(status, done, norm)


@dataclasses.dataclass(frozen=True)
class MinresSolver:
    """MINRES (Paige and Saunders 1975) on the symmetric indefinite K; ``preconditioner`` must be SPD."""

    preconditioner: object = None  # factory with build(operator) -> LinearOperator, or None
    name = "minres"

    def start(self, operator: KKTOperator, rhs, rng, z0=None, recycled=None) -> InnerState:
        return _start(operator, rhs, rng, z0, self.preconditioner)

    def run(self, state: InnerState, target: float, max_iter: int, deadline: float) -> InnerOutcome:
        def call(K, b, z, rtol, maxiter, M, callback):
            z_new, _ = minres(K.as_linear_operator(), b, x0=z.copy(), rtol=rtol, maxiter=maxiter, M=M,
                              callback=callback)
            return z_new

        return _krylov_run(state, target, max_iter, deadline, call)


@dataclasses.dataclass(frozen=True)
class GmresSolver:
    """Restarted GMRES (Saad and Schultz 1986), ``restart`` vectors per cycle."""

    preconditioner: object = None
    restart: int = 50
    name = "gmres"

    def start(self, operator: KKTOperator, rhs, rng, z0=None, recycled=None) -> InnerState:
        return _start(operator, rhs, rng, z0, self.preconditioner)

    def run(self, state: InnerState, target: float, max_iter: int, deadline: float) -> InnerOutcome:
        restart = self.restart

        def call(K, b, z, rtol, maxiter, M, callback):
            cycles = max(1, -(-maxiter // restart))
            z_new, _ = gmres(K.as_linear_operator(), b, x0=z.copy(), rtol=rtol, atol=0.0, restart=restart,
                             maxiter=cycles, M=M, callback=callback, callback_type="pr_norm")
            return z_new

        return _krylov_run(state, target, max_iter, deadline, call)
