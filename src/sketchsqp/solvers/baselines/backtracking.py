"""Backtracking Armijo on a merit that needs only f and c at a trial point.

The l1 merit and the augmented Lagrangian of the baselines are functions of f and c, so a rejected
trial costs one objective and one constraint evaluation; gradient and Jacobian are evaluated once,
at the accepted point (:func:`complete_point`).  This keeps the evaluation counts of the baselines
those of a careful implementation.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from ...errors import NonFiniteValueError
from ...problem import PointEvaluation, Problem
from ...status import Status
from ..driver import StepFailure


@dataclasses.dataclass(frozen=True)
class AcceptedTrial:
    x: np.ndarray
    f: float
    c: np.ndarray
    step_length: float
    merit_value: float
    backtracks: int


@dataclasses.dataclass(frozen=True)
class ValueBacktracking:
    """``alpha = 1``, multiplied by ``shrink`` until ``phi(x + alpha dx) <= phi(x) + alpha eta slope``.

    ``slope`` must be negative (an upper bound on the directional derivative of ``phi`` along
    ``dx``).  A trial where a user callable returns NaN/Inf counts as a failed trial.
    """

    eta: float
    max_backtracks: int = 60
    shrink: float = 0.5

    def search(self, problem: Problem, x: np.ndarray, dx: np.ndarray, merit: Callable[[float, np.ndarray], float],
               base: float, slope: float, failure_status: Status = Status.LINE_SEARCH_FAILED) -> AcceptedTrial:
        if not slope < 0:
            raise StepFailure(failure_status, f"the step is not a descent direction of the merit (slope {slope:.3e})")
        alpha = 1.0
        non_finite = 0
        for backtracks in range(self.max_backtracks + 1):
            trial = x + alpha * dx
            try:
                f = problem.fun(trial)
                c = problem.cons(trial)
            except NonFiniteValueError:
                non_finite += 1
                alpha *= self.shrink
                continue
            value = merit(f, c)
            if np.isfinite(value) and value <= base + alpha * self.eta * slope:
                return AcceptedTrial(trial, f, c, alpha, value, backtracks)
            alpha *= self.shrink
        if non_finite == self.max_backtracks + 1:
            raise StepFailure(Status.NON_FINITE, "every trial point of the line search gave a non-finite value")
        raise StepFailure(failure_status, f"no sufficient decrease after {self.max_backtracks} backtracks "
                                          f"(slope {slope:.3e})")


def complete_point(problem: Problem, x: np.ndarray, f: float, c: np.ndarray,
                   multiplier: Callable[[np.ndarray], np.ndarray]) -> PointEvaluation:
    """Evaluate grad f and J at an accepted point whose f and c are known.

    ``multiplier(c)`` gives the multipliers to pair with x (they may depend on c, as in the
    augmented Lagrangian method's first-order estimate ``y + mu c``).
    """
    g = problem.grad(x)
    jac = problem.jac(x)
    y = multiplier(c)
    return PointEvaluation(x=x, y=y, f=f, g=g, c=c, jac=jac, grad_lagrangian=problem.lagrangian_gradient(g, jac, y))
