"""Problem layer: the :class:`Problem` an algorithm sees, its validation and evaluation counters."""

from .counters import EvaluationCounts
from .evaluation import PointEvaluation, evaluate_point
from .problem import Problem
from .scipy_constraints import problem_from_scipy

__all__ = ["EvaluationCounts", "PointEvaluation", "Problem", "evaluate_point", "problem_from_scipy"]
