"""Backtracking Armijo line search on a merit function (ALGORITHM.md, step 7)."""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from ..errors import NonFiniteValueError
from ..problem import PointEvaluation, Problem
from ..status import Status
from .driver import StepFailure


@dataclasses.dataclass(frozen=True)
class LineSearchOutcome:
    step_length: float
    point: PointEvaluation
    merit_value: float
    backtracks: int


@dataclasses.dataclass(frozen=True)
class BacktrackingArmijo:
    """alpha = 1, halved until ``M(z + alpha d) <= M(z) + alpha beta grad M^T d``.

    A trial point where a user callable returns NaN/Inf is treated as a failed trial (the step is
    halved), so a model undefined away from the iterates can still be solved.
    """

    beta: float = 0.1
    max_backtracks: int = 60
    shrink: float = 0.5

    def search(self, problem: Problem, merit, point: PointEvaluation, dx: np.ndarray, dy: np.ndarray,
               directional_derivative: float,
               evaluate: Callable[[Problem, np.ndarray, np.ndarray], PointEvaluation],
               failure_status: Status = Status.LINE_SEARCH_FAILED) -> LineSearchOutcome:
        base = merit.value(point)
        alpha = 1.0
        non_finite = 0
        for backtracks in range(self.max_backtracks + 1):
            try:
                trial = evaluate(problem, point.x + alpha * dx, point.y + alpha * dy)
            except NonFiniteValueError:
                non_finite += 1
                alpha *= self.shrink
                continue
            value = merit.value(trial)
            if np.isfinite(value) and value <= base + alpha * self.beta * directional_derivative:
                return LineSearchOutcome(alpha, trial, value, backtracks)
            alpha *= self.shrink
        if non_finite == self.max_backtracks + 1:
            raise StepFailure(Status.NON_FINITE, "every trial point of the line search gave a non-finite value")
        raise StepFailure(failure_status, f"no sufficient decrease after {self.max_backtracks} halvings "
                                          f"(directional derivative {directional_derivative:.3e})")
