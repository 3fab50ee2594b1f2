"""The paper's baselines, built from the library's parts (problem layer, KKT operator, Hessian
modification, generic driver, result type):

* ``"l1sqp-gmres"`` -- inexact SQP of Byrd, Curtis and Nocedal (2008) with the l1 merit, GMRES
  stopped by their termination tests 1 and 2;
* ``"l1sqp-gmres-adaptive"`` -- the same with an adaptive residual test that raises the penalty;
* ``"auglag"`` -- the augmented Lagrangian method with shifted inexact Newton (GMRES) subproblem steps.

All three are deterministic (the seed is accepted and ignored).
"""

from __future__ import annotations

from typing import Any

from ...problem import Problem
from ...result import OptimizeResult
from ..registry import MethodSpec
from .auglag import AugLagSolver, AugmentedLagrangianMethod
from .l1sqp import AdaptiveResidualTest, ByrdCurtisNocedalTests, InexactL1SQP, L1SQPSolver
from .options import AdaptiveL1SQPOptions, AugLagOptions, L1SQPOptions


def _run_l1sqp(problem: Problem, options: dict[str, Any] | None, seed, callback) -> OptimizeResult:
    return L1SQPSolver(L1SQPOptions.from_mapping(options)).solve(problem, seed=seed, callback=callback)


def _run_l1sqp_adaptive(problem: Problem, options: dict[str, Any] | None, seed, callback) -> OptimizeResult:
    solver = L1SQPSolver(AdaptiveL1SQPOptions.from_mapping(options), adaptive=True)
    return solver.solve(problem, seed=seed, callback=callback)


def _run_auglag(problem: Problem, options: dict[str, Any] | None, seed, callback) -> OptimizeResult:
    return AugLagSolver(AugLagOptions.from_mapping(options)).solve(problem, seed=seed, callback=callback)


def method_specs() -> list[MethodSpec]:
    """The baseline methods, for :data:`sketchsqp.METHODS`."""
    return [
        MethodSpec("l1sqp-gmres", "GMRES-l1-SQP: inexact SQP with the l1 merit and the termination tests of "
                   "Byrd, Curtis and Nocedal (2008)", _run_l1sqp, randomized=False),
        MethodSpec("l1sqp-gmres-adaptive", "Adaptive GMRES-l1-SQP: residual test tightened with the l1 penalty",
                   _run_l1sqp_adaptive, randomized=False),
        MethodSpec("auglag", "Augmented Lagrangian method with shifted inexact Newton (GMRES) subproblem steps",
                   _run_auglag, randomized=False),
    ]


__all__ = [
    "AdaptiveL1SQPOptions",
    "AdaptiveResidualTest",
    "AugLagOptions",
    "AugLagSolver",
    "AugmentedLagrangianMethod",
    "ByrdCurtisNocedalTests",
    "InexactL1SQP",
    "L1SQPOptions",
    "L1SQPSolver",
    "method_specs",
]
