"""Exceptions raised at the API boundary and, internally, by problem evaluations.

Validation errors (:class:`ProblemDefinitionError`, :class:`OptionsError`) escape to the caller:
they mean the model or the options are wrong.  Evaluation faults inside the iteration
(:class:`NonFiniteValueError`, :class:`UserCallableError`, :class:`EvaluationShapeError`) are
caught by the solver driver and turned into a status with the best point so far.
"""

from __future__ import annotations


class SketchSQPError(Exception):
    """Base class of every exception of the library."""


class ProblemDefinitionError(SketchSQPError, ValueError):
    """The problem is malformed: shapes, types, unsupported constraint kinds, non-finite x0."""


class OptionsError(SketchSQPError, ValueError):
    """An option has the wrong type or is out of range."""


class EvaluationError(SketchSQPError):
    """A user callable misbehaved during the iteration."""

    def __init__(self, callable_name: str, message: str) -> None:
        super().__init__(f"{callable_name}: {message}")
        self.callable_name = callable_name


class NonFiniteValueError(EvaluationError):
    """A user callable returned NaN or Inf."""


class EvaluationShapeError(EvaluationError, ProblemDefinitionError):
    """A user callable returned an array of the wrong shape or type."""


class UserCallableError(EvaluationError):
    """A user callable raised; the original exception is ``__cause__`` and ``original``."""

    def __init__(self, callable_name: str, original: BaseException) -> None:
        super().__init__(callable_name, f"raised {type(original).__name__}: {original}")
        self.original = original


class MissingDependencyError(SketchSQPError, ImportError):
    """An optional extra is needed for this feature."""

    def __init__(self, package: str, extra: str, feature: str) -> None:
        super().__init__(
            f"{feature} needs the optional package '{package}'. "
            f"Install it with: pip install 'sketchsqp[{extra}]'"
        )
        self.package = package
        self.extra = extra


def require(module: str, extra: str, feature: str):
    """Import an optional dependency or raise :class:`MissingDependencyError` naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise MissingDependencyError(module, extra, feature) from exc
