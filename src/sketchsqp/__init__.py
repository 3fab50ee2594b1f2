"""sketchsqp: adaptive inexact Newton (SQP) with randomized iterative sketching and an exact
augmented Lagrangian, for ``min f(x) s.t. c(x) = 0``.

Reference: I. Hong, S. Na, M. W. Mahoney, M. Kolar, "Constrained Optimization via Exact Augmented
Lagrangian and Randomized Iterative Sketching", ICML 2023 (arXiv 2305.18379).
"""

from .api import METHODS, MethodSpec, minimize, register_method, solve, solve_problem
from .errors import MissingDependencyError, OptionsError, ProblemDefinitionError
from .problem import Problem, problem_from_scipy
from .result import IterationRecord, OptimizeResult
from .status import Status

__all__ = [
    "METHODS",
    "MethodSpec",
    "minimize",
    "register_method",
    "solve",
    "solve_problem",
    "IterationRecord",
    "MissingDependencyError",
    "OptimizeResult",
    "OptionsError",
    "Problem",
    "ProblemDefinitionError",
    "Status",
    "problem_from_scipy",
]
