"""The contract every inner linear solver of the library follows.

``start(operator, rhs, rng, z0, recycled)`` does the once-per-system work and returns a state
(``recycled``: an N x k array of directions from earlier systems, e.g. the previous Newton steps,
that a solver may search first -- the sketch-and-project solvers do, the others ignore it);
``run(state, target, max_iter, deadline)`` iterates from the state's current ``z`` until
``||K z - b|| <= target`` (or a cap, the deadline, stagnation) and may be called again with a
smaller target -- the adaptive outer loop continues the same solve when it tightens the accuracy.
The state counts the work done (iterations, matrix-vector products, rows touched).
"""

from __future__ import annotations

import dataclasses
import enum
import time
from typing import Any, Protocol

import numpy as np

from .kkt import KKTOperator


class InnerStatus(enum.Enum):
    REACHED = "residual target reached"
    MAX_ITER = "inner iteration cap reached"
    TIME_LIMIT = "deadline reached"
    STAGNATED = "residual stopped decreasing (rounding floor or inconsistent system)"
    BREAKDOWN = "numerical breakdown"


@dataclasses.dataclass
class InnerState:
    operator: KKTOperator
    rhs: np.ndarray
    z: np.ndarray
    residual: np.ndarray  # K z - b, current
    rng: np.random.Generator
    iterations: int = 0
    rows_touched: int = 0
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def residual_norm(self) -> float:
        return float(np.linalg.norm(self.residual))


@dataclasses.dataclass(frozen=True)
class InnerOutcome:
    status: InnerStatus
    iterations: int  # in this call
    residual_norm: float


class LinearSolver(Protocol):
    name: str

    def start(self, operator: KKTOperator, rhs: np.ndarray, rng: np.random.Generator, z0: np.ndarray | None = None,
              recycled: np.ndarray | None = None) -> InnerState: ...

    def run(self, state: InnerState, target: float, max_iter: int, deadline: float) -> InnerOutcome: ...


def initial_state(operator: KKTOperator, rhs: np.ndarray, rng: np.random.Generator, z0: np.ndarray | None) -> InnerState:
    z = np.zeros(operator.size) if z0 is None else np.array(z0, dtype=float)
    residual = operator.matvec(z) - rhs if z0 is not None else -rhs.astype(float)
    return InnerState(operator=operator, rhs=rhs, z=z, residual=residual, rng=rng)


def limit_status(done: int, max_iter: int, deadline: float) -> InnerStatus | None:
    """MAX_ITER or TIME_LIMIT when the caller's cap or deadline is reached, else None."""
    if done >= max_iter:
        return InnerStatus.MAX_ITER
    if time.perf_counter() > deadline:
        return InnerStatus.TIME_LIMIT
    return None


def refresh_residual(state: InnerState, monitor: "StagnationMonitor", steps: int) -> tuple[float, InnerStatus | None]:
    """Recompute ``r = K z - b`` after ``steps`` row steps that did not maintain it; return its norm and
    BREAKDOWN (non-finite) or STAGNATED when the solve must stop, else None."""
    state.residual = state.operator.matvec(state.z) - state.rhs
    norm = float(np.linalg.norm(state.residual))
    if not np.isfinite(norm):
        return norm, InnerStatus.BREAKDOWN
    if monitor.update(norm, steps):
        return norm, InnerStatus.STAGNATED
    return norm, None


@dataclasses.dataclass
class StagnationMonitor:
    """Declares stagnation when the best residual has not improved by ``factor`` within ``patience`` steps."""

    patience: int
    factor: float = 0.9
    reference: float = float("inf")
    since: int = 0

    def update(self, residual_norm: float, steps: int) -> bool:
        if residual_norm < self.factor * self.reference:
            self.reference = residual_norm
            self.since = 0
            return False
        self.since += steps
        return self.since >= self.patience
