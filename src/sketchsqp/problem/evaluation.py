"""First-order information at one point (x, y), evaluated once and shared by the merit, the KKT
system and the log."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from . import operators
from .problem import Problem


@dataclasses.dataclass(frozen=True)
class PointEvaluation:
    """f, grad f, c, J and grad_x L at (x, y)."""

    x: np.ndarray
    y: np.ndarray
    f: float
    g: np.ndarray
    c: np.ndarray
    jac: Any  # (m, n): ndarray, scipy.sparse or LinearOperator
    grad_lagrangian: np.ndarray

    @property
    def constr_norm(self) -> float:
        return float(np.linalg.norm(self.c))

    @property
    def kkt_residual(self) -> float:
        """``||(grad_x L, c)||_2``."""
        return float(np.hypot(np.linalg.norm(self.grad_lagrangian), np.linalg.norm(self.c)))

    def jac_matvec(self, v: np.ndarray) -> np.ndarray:
        return operators.matvec(self.jac, v) if self.c.size else np.zeros(0)

    def jac_rmatvec(self, w: np.ndarray) -> np.ndarray:
        return operators.rmatvec(self.jac, w) if self.c.size else np.zeros(self.x.shape[0])


def evaluate_point(problem: Problem, x: np.ndarray, y: np.ndarray) -> PointEvaluation:
    """Evaluate f, grad f, c and J at (x, y); raises the problem's evaluation errors."""
    f = problem.fun(x)
    g = problem.grad(x)
    c = problem.cons(x)
    jac = problem.jac(x)
    gl = problem.lagrangian_gradient(g, jac, y)
    return PointEvaluation(x=x, y=y, f=f, g=g, c=c, jac=jac, grad_lagrangian=gl)
