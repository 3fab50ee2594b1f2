"""The method registry: a name -> how to run it on a :class:`~sketchsqp.problem.Problem`.

Each solver family contributes its entries through a ``method_specs()`` function; the API layer
collects them.  A family whose optional dependency is missing still registers its names, and
fails with :class:`~sketchsqp.errors.MissingDependencyError` (naming the extra) when run.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

from ..problem import Problem
from ..result import OptimizeResult

RunFunction = Callable[[Problem, "dict[str, Any] | None", Any, Any], OptimizeResult]  # (problem, options, seed, callback)


@dataclasses.dataclass(frozen=True)
class MethodSpec:
    """A named method: ``run(problem, options_dict, seed, callback) -> OptimizeResult``."""

    name: str
    description: str
    run: RunFunction
    randomized: bool = True  # False for deterministic methods (seeds are then irrelevant)
    external: bool = False  # a reference solver outside the library (IPOPT, SciPy)
    available: Callable[[], bool] = lambda: True  # whether its optional dependencies are installed
