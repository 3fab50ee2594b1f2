"""The l1 exact penalty merit function of the inexact SQP baselines.

    phi_mu(x) = f(x) + mu ||c(x)||_1

Its one-sided directional derivative along dx is

    D phi_mu(x; dx) = grad f^T dx + mu sum_i ( sign(c_i) (J dx)_i  if c_i != 0,  |(J dx)_i|  if c_i = 0 ),

and, since ``||c + t J dx||_1`` is convex in t, it is bounded above by the model

    grad f^T dx - mu (||c||_1 - ||c + J dx||_1)  =  -mred_mu(dx),

the negative of the model reduction of Byrd, Curtis and Nocedal (2008).  The line search of
GMRES-l1-SQP uses this model as its Armijo slope.  Reference: R. H. Byrd, F. E. Curtis,
J. Nocedal, "An inexact SQP method for equality constrained optimization", SIAM J. Optim. 19(1),
2008, Section 2.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..problem import PointEvaluation


@dataclasses.dataclass(frozen=True)
class L1Merit:
    """``f + mu ||c||_1`` for a fixed penalty ``mu > 0``."""

    mu: float

    def value(self, point: PointEvaluation) -> float:
        return self.value_of(point.f, point.c)

    def value_of(self, f: float, c: np.ndarray) -> float:
        """The merit from f and c alone (what a line-search trial needs)."""
        return float(f + self.mu * np.sum(np.abs(c)))

    def directional_derivative(self, point: PointEvaluation, dx: np.ndarray) -> float:
        """The exact one-sided derivative ``lim_{t -> 0+} (phi(x + t dx) - phi(x)) / t``."""
        jdx = point.jac_matvec(dx)
        c = point.c
        constraint_part = np.where(c != 0, np.sign(c) * jdx, np.abs(jdx))
        return float(point.g @ dx + self.mu * np.sum(constraint_part))

    def model_reduction(self, point: PointEvaluation, dx: np.ndarray, linearized: np.ndarray | None = None) -> float:
        """``mred = -grad f^T dx + mu (||c||_1 - ||c + J dx||_1)``.

        ``linearized`` is ``c + J dx`` when the caller has it already (an inexact Newton solver
        keeps it as the second block of its residual); otherwise it is formed here.
        """
        if linearized is None:
            linearized = point.c + point.jac_matvec(dx)
        return float(-(point.g @ dx) + self.mu * (np.sum(np.abs(point.c)) - np.sum(np.abs(linearized))))

    def model_directional_derivative(self, point: PointEvaluation, dx: np.ndarray,
                                     linearized: np.ndarray | None = None) -> float:
        """``grad f^T dx - mu (||c||_1 - ||c + J dx||_1)``, an upper bound on the directional derivative."""
        return -self.model_reduction(point, dx, linearized)
