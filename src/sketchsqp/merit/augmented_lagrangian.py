"""The exact augmented Lagrangian merit function (ALGORITHM.md).

    M(x, y) = L(x, y) + (eta1/2) ||c(x)||^2 + (eta2/2) ||grad_x L(x, y)||^2

    grad_x M = grad_x L + eta1 J^T c + eta2 H grad_x L
    grad_y M = c + eta2 J grad_x L

with H the exact Lagrangian Hessian (one Hessian-vector product).  Reference: Hong et al. (2023),
eq. (3); the exact-H form follows the paper rather than its prototype, which used hess f.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..problem import PointEvaluation, operators


@dataclasses.dataclass(frozen=True)
class MeritDerivativeParts:
    """The penalty-independent pieces of grad M at one point, so that re-weighting is free."""

    grad_lagrangian: np.ndarray  # g_L
    jac_t_c: np.ndarray  # J^T c
    hess_grad_lagrangian: np.ndarray  # H g_L
    c: np.ndarray
    jac_grad_lagrangian: np.ndarray  # J g_L


@dataclasses.dataclass(frozen=True)
class ExactAugmentedLagrangian:
    eta1: float
    eta2: float

    def value(self, point: PointEvaluation) -> float:
        c, gl = point.c, point.grad_lagrangian
        return float(point.f + point.y @ c + 0.5 * self.eta1 * (c @ c) + 0.5 * self.eta2 * (gl @ gl))

    @staticmethod
    def derivative_parts(point: PointEvaluation, hessian) -> MeritDerivativeParts:
        gl = point.grad_lagrangian
        return MeritDerivativeParts(
            grad_lagrangian=gl,
            jac_t_c=point.jac_rmatvec(point.c),
            hess_grad_lagrangian=operators.matvec(hessian, gl),
            c=point.c,
            jac_grad_lagrangian=point.jac_matvec(gl),
        )

    def gradient(self, parts: MeritDerivativeParts) -> tuple[np.ndarray, np.ndarray]:
        gx = parts.grad_lagrangian + self.eta1 * parts.jac_t_c + self.eta2 * parts.hess_grad_lagrangian
        gy = parts.c + self.eta2 * parts.jac_grad_lagrangian
        return gx, gy

    def directional_derivative(self, parts: MeritDerivativeParts, dx: np.ndarray, dy: np.ndarray) -> float:
        gx, gy = self.gradient(parts)
        return float(gx @ dx + gy @ dy)
