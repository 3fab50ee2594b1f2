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

# Iterates whose entries (or f, c, grad_x L) exceed this are diverging: stop before norms overflow.
DIVERGENCE_BOUND = 1e30
# Merit values that agree to this many units of |phi(x)| eps cannot be told apart: the Armijo test
# is then met up to rounding (IPOPT's Compare_le, Waechter and Biegler 2006, uses the same 10 eps).
ROUNDING_ULPS = 10.0


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
    ``dx``).  The comparison allows ``10 eps |phi(x)|`` of rounding, so that near a solution, where
    the predicted decrease is below what floating point resolves, a good step is not cut to
    nothing.  A trial where a user callable returns NaN/Inf counts as a failed trial.
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
        rounding = ROUNDING_ULPS * np.finfo(float).eps * abs(base)
        for backtracks in range(self.max_backtracks + 1):
            trial = x + alpha * dx
            try:
                f = problem.fun(trial)
                c = problem.cons(trial)
            except NonFiniteValueError:
                non_finite += 1
                alpha *= self.shrink
                continue
            with np.errstate(over="ignore", invalid="ignore"):
                value = merit(f, c)  # an overflow is a failed trial, not a warning
            if np.isfinite(value) and value - (base + alpha * self.eta * slope) <= rounding:
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


def check_bounded(point: PointEvaluation, hint: str = "") -> PointEvaluation:
    """Raise a StepFailure when the iterate is diverging (an entry of x, f, c or grad_x L above 1e30)."""
    largest = max(float(np.max(np.abs(point.x))), abs(point.f),
                  float(np.max(np.abs(point.c), initial=0.0)), float(np.max(np.abs(point.grad_lagrangian))))
    if not largest < DIVERGENCE_BOUND:
        raise StepFailure(Status.DIVERGED, f"the iterates diverge (an entry of x, f, c or grad L reached "
                                                  f"{largest:.1e}){hint}")
    return point
