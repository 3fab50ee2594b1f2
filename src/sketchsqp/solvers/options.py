"""Typed, validated options.  Defaults are the paper's (ALGORITHM.md, "Defaults") except ``tol``,
whose user default is 1e-6 (pass ``tol=1e-4`` to reproduce the paper)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from ..errors import OptionsError
from ..linalg.subspace_extrapolation import DEFAULT_MEMORY


def _check(condition: bool, name: str, value: Any, requirement: str) -> None:
    if not condition:
        raise OptionsError(f"option {name!r} must be {requirement}, got {value!r}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)


@dataclasses.dataclass(frozen=True)
class DriverOptions:
    """Options every iterative method of the library shares (the generic driver owns them)."""

    tol: float = 1e-6  # KKT residual ||(grad_x L, c)||_2 target
    max_iter: int = 10_000  # outer iterations
    time_limit: float = math.inf  # seconds of wall time
    verbose: bool = False  # iteration log on stdout
    infeasibility_tol: float = 1e-6  # failed run at ||J^T c|| <= tol * ||c||, ||c|| > tol: locally infeasible
    reraise: bool = False  # re-raise an exception from a user callable instead of returning CALLABLE_ERROR
    # "given": start from the problem's y0 (the paper); "least-squares": y0 = argmin ||grad f(x0) + J(x0)^T y||,
    # as IPOPT does -- one sparse factorization of [[I, J^T], [J, 0]] at the start.
    initial_multipliers: str = "given"

    def __post_init__(self) -> None:
        _check(_is_number(self.tol) and self.tol > 0, "tol", self.tol, "a positive number")
        _check(isinstance(self.max_iter, int) and not isinstance(self.max_iter, bool) and self.max_iter >= 0,
               "max_iter", self.max_iter, "a non-negative integer")
        _check(_is_number(self.time_limit) and self.time_limit > 0, "time_limit", self.time_limit, "a positive number of seconds")
        _check(isinstance(self.verbose, (bool, int)), "verbose", self.verbose, "a bool")
        _check(isinstance(self.reraise, bool), "reraise", self.reraise, "a bool")
        _check(self.initial_multipliers in ("given", "least-squares"), "initial_multipliers",
               self.initial_multipliers, "'given' or 'least-squares'")
        _check(_is_number(self.infeasibility_tol) and self.infeasibility_tol >= 0, "infeasibility_tol",
               self.infeasibility_tol, "non-negative")

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_mapping(cls, options: dict[str, Any] | None, **overrides: Any):
        """Build from a user dict; unknown keys raise :class:`OptionsError` listing the valid ones."""
        if options is not None and not isinstance(options, dict):
            raise OptionsError(f"options must be a dict or None, got {type(options).__name__}")
        merged = {**(options or {}), **overrides}
        valid = cls.field_names()
        unknown = sorted(set(merged) - set(valid))
        if unknown:
            raise OptionsError(f"unknown option(s) {unknown} for {cls.__name__}; valid options: {valid}")
        for key, value in merged.items():
            default = getattr(cls, key, None)
            if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
                merged[key] = float(value)
        return cls(**merged)


@dataclasses.dataclass(frozen=True)
class AdaSketchOptions(DriverOptions):
    """Options of AdaSketch-Newton (Hong et al. 2023).

    accuracy : "theory" -- the paper's adaptive condition ``||K|| psi ||r|| <= theta_k delta ||b||``;
        "practical" -- ``||r|| <= theta_k kappa ||b||`` with kappa tightened (``kappa / nu^2``) by the same
        descent loop that raises the penalties.
    theta : "linear" (theta_k = theta0, local linear rate) or "superlinear"
        (theta_k = theta0 * min(1, sqrt(R_k)) -> 0 with the KKT residual R_k: local superlinear rate).
    """

    max_inner_iter: int = 100_000  # inner (sketching) iterations per outer iteration
    accuracy: str = "theory"
    theta: str = "linear"
    theta0: float = 1.0
    eta1: float = 1.0
    eta2: float = 0.1
    delta: float = 0.1
    xi_B: float = 0.1
    beta: float = 0.1
    nu: float = 1.5
    kappa: float = 0.1  # practical mode: initial relative residual target
    kappa_min: float = 1e-12
    delta_min: float = 1e-6  # floor on delta (paper: 1e-6)
    penalty_eta1_max: float = 1e8  # safeguard (paper)
    penalty_eta2_min: float = 1e-8  # safeguard (paper)
    max_backtracks: int = 60
    kaczmarz_sampling: str = "uniform"
    licq_tol: float = 1e-10  # lambda_min(J J^T) <= licq_tol * max(1, ||J||^2): rank deficient
    regularization: float = 1e-8  # rho in the (2,2) block of K when rank deficient (relative to ||J||^2)
    # Scalable inner solvers (methods adasketch-block, -minres, -gmres, -direct and adasketch).
    block_size: int = 64  # q, columns of a block sketch
    block_sketch: str = "row-block"  # "row-block" (block Kaczmarz), "gaussian" or "sparse-sign" (CountSketch-like)
    preconditioner: str = "auto"  # Krylov: "auto" (schur for an explicit J, else jacobi), "none", "jacobi", "schur"
    gmres_restart: int = 50
    direct_backend: str = "auto"  # sparse LDL^T: "auto" (PARDISO if installed, else QDLDL), "pardiso", "qdldl"
    hessian_modification: str = "auto"  # "auto" (per inner solver), "null-space", "inertia" or "certified"
    factorization_limit: int = 200_000  # largest KKT size for an LDL^T inertia test inside iterative methods
    compiled: bool = True  # numba-compiled Kaczmarz loops when numba is installed
    # Gaussian and Kaczmarz sketches: at checkpoints, the minimum-residual point of z + span(last
    # ``subspace_memory`` progress directions, last ``recycled_steps`` Newton steps) is handed back
    # when better (sketchsqp.linalg.subspace_extrapolation).  subspace_memory=0: the paper's plain iteration.
    subspace_memory: int = DEFAULT_MEMORY
    recycled_steps: int = 3
    # When the penalties reach their safeguard and the inner step is still not a descent direction,
    # step along -grad M instead of stopping (False: stop with PENALTY_SAFEGUARD / INNER_SOLVER_FAILED,
    # as the paper's prototype does).
    descent_fallback: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        _check(isinstance(self.max_inner_iter, int) and not isinstance(self.max_inner_iter, bool) and self.max_inner_iter >= 1,
               "max_inner_iter", self.max_inner_iter, "a positive integer")
        _check(self.accuracy in ("theory", "practical"), "accuracy", self.accuracy, "'theory' or 'practical'")
        _check(self.theta in ("linear", "superlinear"), "theta", self.theta, "'linear' or 'superlinear'")
        _check(self.kaczmarz_sampling in ("uniform", "row-norm"), "kaczmarz_sampling", self.kaczmarz_sampling,
               "'uniform' or 'row-norm'")
        for name in ("theta0", "eta1", "eta2", "delta", "xi_B", "kappa", "kappa_min", "delta_min",
                     "penalty_eta1_max", "penalty_eta2_min", "regularization"):
            value = getattr(self, name)
            _check(_is_number(value) and value > 0, name, value, "a positive number")
        _check(_is_number(self.beta) and 0 < self.beta < 0.5, "beta", self.beta, "in (0, 0.5)")
        _check(_is_number(self.nu) and self.nu > 1, "nu", self.nu, "greater than 1")
        _check(self.theta0 <= 1, "theta0", self.theta0, "at most 1")
        _check(self.kappa < 1, "kappa", self.kappa, "less than 1")
        _check(isinstance(self.max_backtracks, int) and self.max_backtracks >= 1, "max_backtracks", self.max_backtracks,
               "a positive integer")
        _check(_is_number(self.licq_tol) and self.licq_tol >= 0, "licq_tol", self.licq_tol, "non-negative")
        for name in ("subspace_memory", "recycled_steps"):
            value = getattr(self, name)
            _check(isinstance(value, int) and not isinstance(value, bool) and value >= 0, name, value,
                   "a non-negative integer")
        for name in ("block_size", "gmres_restart"):
            value = getattr(self, name)
            _check(isinstance(value, int) and not isinstance(value, bool) and value >= 1, name, value,
                   "a positive integer")
        _check(isinstance(self.factorization_limit, int) and not isinstance(self.factorization_limit, bool)
               and self.factorization_limit >= 0, "factorization_limit", self.factorization_limit,
               "a non-negative integer")
        _check(self.block_sketch in ("gaussian", "sparse-sign", "row-block"), "block_sketch", self.block_sketch,
               "'gaussian', 'sparse-sign' or 'row-block'")
        _check(self.preconditioner in ("auto", "none", "jacobi", "schur"), "preconditioner", self.preconditioner,
               "'auto', 'none', 'jacobi' or 'schur'")
        _check(self.direct_backend in ("auto", "pardiso", "qdldl"), "direct_backend", self.direct_backend,
               "'auto', 'pardiso' or 'qdldl'")
        _check(self.hessian_modification in ("auto", "null-space", "inertia", "certified"), "hessian_modification",
               self.hessian_modification, "'auto', 'null-space', 'inertia' or 'certified'")
        _check(isinstance(self.compiled, (bool, int)), "compiled", self.compiled, "a bool")
        _check(isinstance(self.descent_fallback, bool), "descent_fallback", self.descent_fallback, "a bool")
