"""The public entry points: :func:`minimize` (SciPy style), :func:`solve_problem` and :data:`METHODS`."""

from __future__ import annotations

import importlib
from typing import Any, Callable

from .errors import OptionsError
from .problem import Problem, problem_from_scipy
from .result import OptimizeResult
from .solvers import AdaSketchOptions, AdaSketchSolver
from .solvers.registry import MethodSpec


def _adasketch(inner: str) -> Callable[..., OptimizeResult]:
    def run(problem: Problem, options: dict[str, Any] | None, seed, callback) -> OptimizeResult:
        solver = AdaSketchSolver(AdaSketchOptions.from_mapping(options), inner=inner)
        return solver.solve(problem, seed=seed, callback=callback)

    return run


METHODS: dict[str, MethodSpec] = {}


def register_method(spec: MethodSpec) -> None:
    """Add a method to :data:`METHODS` (used by the baselines and external references)."""
    METHODS[spec.name] = spec


register_method(MethodSpec("adasketch-gaussian",
                           "AdaSketch-Newton, Gaussian vector sketch (Hong et al. 2023), with subspace extrapolation",
                           _adasketch("gaussian")))
register_method(MethodSpec("adasketch-kaczmarz",
                           "AdaSketch-Newton, randomized Kaczmarz (Hong et al. 2023), with subspace extrapolation",
                           _adasketch("kaczmarz")))

# Solver families that contribute further methods through ``method_specs()``.
_FAMILIES = ("sketchsqp.solvers.variants", "sketchsqp.solvers.baselines", "sketchsqp.solvers.external")
for _module_name in _FAMILIES:
    for _spec in importlib.import_module(_module_name).method_specs():
        register_method(_spec)


def solve_problem(problem: Problem, method: str = "adasketch-gaussian", *, options: dict[str, Any] | None = None,
                  seed=None, callback=None) -> OptimizeResult:
    """Solve a :class:`Problem` with a named method.

    ``seed`` (int, SeedSequence or numpy Generator) makes randomized methods repeatable.
    """
    if not isinstance(method, str) or method not in METHODS:
        raise OptionsError(f"unknown method {method!r}; available methods: {sorted(METHODS)}")
    return METHODS[method].run(problem, options, seed, callback)


def minimize(fun, x0, *, jac, hess=None, constraints=(), method: str = "adasketch-gaussian",
             options: dict[str, Any] | None = None, seed=None, callback=None, bounds=None,
             name: str = "problem") -> OptimizeResult:
    """Minimize ``fun(x)`` subject to equality constraints, SciPy style.

    Parameters
    ----------
    fun : callable ``x -> float``.
    x0 : starting point, shape (n,).
    jac : gradient of ``fun``: a callable ``x -> (n,)``, ``True`` (``fun`` returns ``(f, g)``) or
        ``"2-point"``/``"3-point"`` finite differences.
    hess : Hessian of ``fun`` (``x -> (n, n)`` ndarray, sparse or LinearOperator), or None: then the
        Lagrangian Hessian is applied by finite differences of its gradient.
    constraints : ``NonlinearConstraint``/``LinearConstraint`` with ``lb == ub`` (or
        ``{"type": "eq", ...}`` dicts), or a list of them.  Inequalities and bounds are rejected.
    method : one of :data:`METHODS`.
    options : dict of method options (see :class:`~sketchsqp.solvers.AdaSketchOptions`).
    seed : int, SeedSequence or Generator for the random sketches.
    callback : called after every iteration with an intermediate :class:`OptimizeResult`;
        returning True or raising StopIteration stops the run (status CALLBACK_STOP).

    Returns
    -------
    OptimizeResult with ``x``, ``y`` (multipliers, ``L = f + y^T c``), ``status`` and counters.
    """
    if not isinstance(method, str) or method not in METHODS:
        raise OptionsError(f"unknown method {method!r}; available methods: {sorted(METHODS)}")
    problem = problem_from_scipy(fun, x0, jac=jac, hess=hess, constraints=constraints, bounds=bounds, name=name)
    problem.check_at(problem.x0)
    return solve_problem(problem, method, options=options, seed=seed, callback=callback)


def solve(problem: Problem, solver, *, seed=None, callback=None) -> OptimizeResult:
    """Lower-level entry: run a solver object (e.g. :class:`AdaSketchSolver`) on a problem."""
    return solver.solve(problem, seed=seed, callback=callback)


__all__ = ["METHODS", "MethodSpec", "minimize", "register_method", "solve", "solve_problem"]
