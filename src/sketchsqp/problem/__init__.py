"""Problem layer: the :class:`Problem` an algorithm sees, its validation and evaluation counters."""

from .counters import EvaluationCounts
from .evaluation import PointEvaluation, evaluate_point
from .multipliers import least_squares_multipliers
from .problem import Problem
from .scipy_constraints import problem_from_scipy

__all__ = ["EvaluationCounts", "PointEvaluation", "Problem", "evaluate_point", "least_squares_multipliers",
           "problem_from_scipy"]
