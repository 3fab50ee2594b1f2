"""AdaSketch-Newton: adaptive inexact SQP with randomized sketching and an exact augmented Lagrangian.

Reference: I. Hong, S. Na, M. W. Mahoney, M. Kolar, "Constrained Optimization via Exact Augmented
Lagrangian and Randomized Iterative Sketching", ICML 2023.  One outer iteration is steps 1-8 of
ALGORITHM.md; the constants below are named after the paper's symbols.  The last few steps are
handed to the inner solver as ``recycled`` directions: the sketch solvers search them
(:mod:`sketchsqp.linalg.subspace_extrapolation`), the others ignore them.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any, Callable

import numpy as np

from scipy.sparse.linalg import LinearOperator

from ..linalg import InnerStatus, KKTOperator, LinearSolver, NullSpaceEigenvalueShift, SpectralEstimator
from ..linalg.spectral import EXACT_SIZE_LIMIT
from ..merit import ExactAugmentedLagrangian
from ..problem import PointEvaluation, Problem
from ..result import IterationRecord
from ..status import Status
from .driver import OuterState, StepFailure, stationary_infeasible
from .line_search import BacktrackingArmijo
from .options import AdaSketchOptions

PSI_FACTOR = 20.0  # psi = 20 max(||B||^2, 1) / (min(xi_G, 1) min(xi_B, 1))  (paper, Thm 4.3 constants)
INFEASIBLE_STREAK = 5  # consecutive iterations with J^T c ~ 0 and c != 0 before declaring infeasibility


@dataclasses.dataclass(frozen=True, kw_only=True)
class AdaSketchState(OuterState):
    eta1: float
    eta2: float
    delta: float
    kappa: float
    penalty_updates: int = 0
    safeguard_hits: int = 0
    fallback_steps: int = 0  # steepest-descent steps on the merit taken instead of failing (options.descent_fallback)
    rank_deficient_iterations: int = 0
    infeasible_streak: int = 0
    inner_status_counts: dict = dataclasses.field(default_factory=dict)
    recent_steps: tuple = ()  # the last few steps z = (dx, dy), newest first, for the inner solver to recycle


def psi_constant(norm_b: float, xi_g: float, xi_b: float) -> float:
    return PSI_FACTOR * max(norm_b**2, 1.0) / (min(xi_g, 1.0) * min(xi_b, 1.0))


def delta_trial(options: AdaSketchOptions, eta1: float, eta2: float, upsilon: float, psi: float) -> float:
    """(0.5 - beta) eta2 / ((1 + eta1 + eta2) Upsilon^2 psi^2)  (ALGORITHM.md, step 5)."""
    return (0.5 - options.beta) * eta2 / ((1.0 + eta1 + eta2) * upsilon**2 * psi**2)


class AdaSketchNewton:
    """The outer loop of AdaSketch-Newton, assembled from an inner solver and a line search.

    ``inner_solver=None`` defers the choice to the first iteration, where the Hessian and the
    Jacobian are seen (:func:`choose_inner`); ``hessian_modification=None`` takes the rule that
    suits the inner solver (:func:`default_hessian_modification`).

    Spectral quantities (``||H||``, ``||B||``, ``||K||``, ``lambda(J J^T)``) are computed only where
    used: the theoretical accuracy rule needs them all; the practical rule needs none, except
    ``lambda(J J^T)`` on small problems (exact and cheap there) to detect a rank-deficient Jacobian.
    At scale in practical mode rank deficiency shows up as a stalled inner solve instead.  Lanczos
    estimates are warm-started from the previous iteration (:class:`SpectralEstimator`).
    """

    def __init__(self, options: AdaSketchOptions, inner_solver: LinearSolver | None, *, name: str,
                 evaluate: Callable[[Problem, np.ndarray, np.ndarray], PointEvaluation],
                 hessian_modification=None) -> None:
        self.options = options
        self.inner_solver = inner_solver
        self.name = name
        self.evaluate = evaluate
        self.hessian_modification = hessian_modification
        self.line_search = BacktrackingArmijo(beta=options.beta, max_backtracks=options.max_backtracks)
        self.spectral = SpectralEstimator()
        self.modification_rules: dict[str, int] = {}
        self.factorizations = 0

    # ------------------------------------------------------------------ protocol
    def init(self, problem: Problem, point: PointEvaluation, rng: np.random.Generator) -> AdaSketchState:
        self.rng = rng
        o = self.options
        return AdaSketchState(point=point, eta1=o.eta1, eta2=o.eta2, delta=o.delta, kappa=o.kappa)

    def terminate(self, state: AdaSketchState) -> Status | None:
        if state.infeasible_streak >= INFEASIBLE_STREAK:
            return Status.INFEASIBLE
        return None

    def record(self, state: AdaSketchState, iteration: int) -> IterationRecord:
        return state.record(iteration, eta1=state.eta1, eta2=state.eta2, delta=state.delta)

    def info(self, state: AdaSketchState) -> dict[str, Any]:
        return {"eta1": state.eta1, "eta2": state.eta2, "delta": state.delta, "kappa": state.kappa,
                "penalty_updates": state.penalty_updates, "safeguard_hits": state.safeguard_hits,
                "fallback_steps": state.fallback_steps,
                "rank_deficient_iterations": state.rank_deficient_iterations,
                "inner_status_counts": dict(state.inner_status_counts),
                "accuracy": self.options.accuracy, "theta": self.options.theta,
                "inner_solver": self.inner_solver.name if self.inner_solver is not None else None,
                "hessian_modification_rules": dict(self.modification_rules),
                "factorizations": self.factorizations,
                "spectral_estimates": dict(self.spectral.requests)}

    def _resolve(self, problem: Problem, hessian, jac) -> None:
        """Fix the inner solver and the Hessian modification rule once the matrices are seen."""
        o = self.options
        if self.inner_solver is None:
            self.inner_solver = build_inner_solver(choose_inner(hessian, jac, o), o)
        if self.hessian_modification is None:
            self.hessian_modification = default_hessian_modification(self.inner_solver.name, o, problem.n)

    def step(self, problem: Problem, state: AdaSketchState, deadline: float) -> AdaSketchState:
        o = self.options
        point = state.point
        hessian = problem.hess(point.x, point.y)
        self._resolve(problem, hessian, point.jac)
        theory = o.accuracy == "theory"
        spectral = self.spectral
        spectral.deadline = deadline
        rule = self.hessian_modification
        norm_h = spectral.symmetric_norm("H", hessian) if theory or getattr(rule, "needs_norm_hessian", True) \
            else None
        # lambda(J J^T): needed by the theoretical rule; on small problems also the rank-deficiency test.
        small = problem.m <= EXACT_SIZE_LIMIT and problem.n <= 20 * EXACT_SIZE_LIMIT \
            and not isinstance(point.jac, LinearOperator)
        if problem.m and (theory or small):
            jjt_max, jjt_min = spectral.gram_extremes(point.jac, problem.m, problem.n)
        else:
            jjt_max, jjt_min = 0.0, math.inf
        norm_j2 = max(1.0, jjt_max)
        rank_deficient = problem.m > 0 and jjt_min <= o.licq_tol * norm_j2
        rho = o.regularization * norm_j2 if rank_deficient else 0.0
        modified = rule.modify(hessian, point.jac, norm_h, previous_shift=state.last_shift, regularization=rho)
        self.modification_rules[modified.rule] = self.modification_rules.get(modified.rule, 0) + 1
        self.factorizations += modified.factorizations
        kkt = KKTOperator(modified.matrix, point.jac, rho)
        kkt.factorization = modified.factorization
        rhs = -np.concatenate([point.grad_lagrangian, point.c])
        rhs_norm = float(np.linalg.norm(rhs))
        theta_k = o.theta0 * (min(1.0, math.sqrt(point.kkt_residual)) if o.theta == "superlinear" else 1.0)

        eta1, eta2, kappa, delta = state.eta1, state.eta2, state.kappa, state.delta
        if theory:
            norm_b = spectral.symmetric_norm("B", modified.matrix) if modified.shift else norm_h
            xi_g = max(jjt_min, rho) if problem.m else 1.0
            psi = psi_constant(norm_b, xi_g, o.xi_B)
            upsilon = max(math.sqrt(jjt_max), norm_h, 1.0)
            norm_k = max(spectral.kkt_norm(kkt), np.finfo(float).tiny)
            delta = max(o.delta_min, min(state.delta, delta_trial(o, eta1, eta2, upsilon, psi)))
        merit = ExactAugmentedLagrangian(eta1, eta2)
        parts = merit.derivative_parts(point, hessian)
        n = problem.n
        used = 0
        penalty_updates = state.penalty_updates
        safeguard_hits = state.safeguard_hits
        fallback_steps = state.fallback_steps
        statuses = dict(state.inner_status_counts)
        last_status = InnerStatus.REACHED
        recycled = np.column_stack(state.recent_steps) if state.recent_steps else None
        inner = self.inner_solver.start(kkt, rhs, self.rng, recycled=recycled)
        try:
            while True:
                if theory:
                    target = theta_k * delta * rhs_norm / (norm_k * psi)
                else:
                    target = theta_k * kappa * rhs_norm
                outcome = self.inner_solver.run(inner, target, o.max_inner_iter - used, deadline)
                used += outcome.iterations
                last_status = outcome.status
                statuses[outcome.status.name] = statuses.get(outcome.status.name, 0) + 1
                dx, dy = inner.z[:n], inner.z[n:]
                merit = ExactAugmentedLagrangian(eta1, eta2)
                slope = merit.directional_derivative(parts, dx, dy)
                if slope <= -0.5 * eta2 * rhs_norm**2:
                    break
                if outcome.status is InnerStatus.TIME_LIMIT or time.perf_counter() > deadline:
                    raise StepFailure(Status.TIME_LIMIT, "time limit reached inside the inner solver")
                if outcome.status is InnerStatus.BREAKDOWN:
                    raise StepFailure(Status.NUMERICAL_ERROR, "the inner solver broke down (non-finite residual)")
                if eta1 > o.penalty_eta1_max or eta2 < o.penalty_eta2_min:
                    safeguard_hits += 1
                    if slope < 0:
                        break  # the paper's safeguard: accept the step once the penalties are extreme
                    if o.descent_fallback:
                        # No descent step from the inner solver even at extreme penalties (K nearly
                        # singular: e.g. an iterate where J vanishes).  Rather than stop, step along
                        # -grad M at the penalties the iteration started with: always a descent
                        # direction, and it leads away from such points.
                        eta1, eta2 = state.eta1, state.eta2
                        merit = ExactAugmentedLagrangian(eta1, eta2)
                        gx, gy = merit.gradient(parts)
                        dx, dy = -gx, -gy
                        slope = merit.directional_derivative(parts, dx, dy)
                        fallback_steps += 1
                        break
                    raise StepFailure(self._failure_status(rank_deficient, last_status, Status.PENALTY_SAFEGUARD),
                                      f"penalties at their safeguard (eta1={eta1:.2e}, eta2={eta2:.2e}) and the step "
                                      f"is not a descent direction (slope {slope:.3e})")
                eta1 *= o.nu**2
                eta2 /= o.nu
                if theory:
                    delta = max(o.delta_min, min(delta / o.nu**4, delta_trial(o, eta1, eta2, upsilon, psi)))
                kappa = max(o.kappa_min, kappa / o.nu**2)
                penalty_updates += 1
        finally:
            _release(inner.extra.get("factorization"), kkt.factorization)

        search = self.line_search.search(
            problem, merit, point, dx.copy(), dy.copy(), slope, self.evaluate,
            failure_status=self._failure_status(rank_deficient, last_status, Status.LINE_SEARCH_FAILED))
        new_point = search.point
        return AdaSketchState(
            point=new_point, eta1=eta1, eta2=eta2, delta=delta, kappa=kappa,
            inner_iterations=state.inner_iterations + used, last_inner=used,
            last_step_length=search.step_length, last_shift=modified.shift, last_merit=search.merit_value,
            penalty_updates=penalty_updates, safeguard_hits=safeguard_hits, fallback_steps=fallback_steps,
            rank_deficient_iterations=state.rank_deficient_iterations + int(rank_deficient),
            infeasible_streak=(state.infeasible_streak + 1) if self._looks_infeasible(new_point) else 0,
            inner_status_counts=statuses,
            recent_steps=((inner.z.copy(),) + state.recent_steps)[:self._steps_to_recycle()],
        )

    # ------------------------------------------------------------------ helpers
    def _steps_to_recycle(self) -> int:
        """How many previous steps to keep: only inner solvers with a subspace extrapolation use them."""
        return self.options.recycled_steps if getattr(self.inner_solver, "subspace_memory", 0) else 0

    @staticmethod
    def _failure_status(rank_deficient: bool, inner_status: InnerStatus, default: Status) -> Status:
        if rank_deficient:
            return Status.RANK_DEFICIENT
        if inner_status in (InnerStatus.MAX_ITER, InnerStatus.STAGNATED):
            return Status.INNER_SOLVER_FAILED
        return default

    def _looks_infeasible(self, point: PointEvaluation) -> bool:
        return stationary_infeasible(point, self.options)


INNER_SOLVERS = ("gaussian", "kaczmarz", "block", "minres", "gmres", "direct", "auto")
NULL_SPACE_LIMIT = 4000  # largest n for the paper's dense null-space rule; beyond it the certified shift


def _release(*factorizations) -> None:
    """Free factorizations held outside Python (PARDISO) as soon as the step no longer needs them."""
    for factorization in factorizations:
        if factorization is not None:
            factorization.release()


def choose_inner(hessian, jac, options: AdaSketchOptions) -> str:
    """The inner solver of the default method ``"adasketch"``, by structure.

    Explicit (dense or sparse) H and J, with an LDL^T backend installed: the sparse direct solver
    -- on the PDE control problem it is the fastest inner solver at every grid size measured
    (benchmarks/pde_scaling.md), and it gives the inertia for the Hessian modification for free.
    Otherwise (a matrix-free Hessian or Jacobian, or no backend): MINRES with the block-Jacobi
    preconditioner, which needs products only.
    """
    from ..linalg.direct import backend_available

    explicit = not isinstance(hessian, LinearOperator) and not isinstance(jac, LinearOperator)
    if explicit and backend_available(options.direct_backend):
        return "direct"
    return "minres"


def build_inner_solver(inner: str, options: AdaSketchOptions) -> LinearSolver:
    """The inner solver object called ``inner`` (one of :data:`INNER_SOLVERS` except "auto")."""
    from ..linalg import (BlockSketchSolver, GaussianSketchSolver, GmresSolver, KaczmarzRowSketch, KaczmarzSolver,
                          MinresSolver, SparseDirectSolver, block_sketch, preconditioner)

    if inner == "kaczmarz":
        return KaczmarzSolver(KaczmarzRowSketch(options.kaczmarz_sampling), compiled=bool(options.compiled),
                              subspace_memory=options.subspace_memory)
    if inner == "gaussian":
        return GaussianSketchSolver(subspace_memory=options.subspace_memory)
    if inner == "block":
        return BlockSketchSolver(block_sketch(options.block_sketch, options.block_size))
    if inner == "minres":
        return MinresSolver(preconditioner(options.preconditioner, options.direct_backend))
    if inner == "gmres":
        return GmresSolver(preconditioner(options.preconditioner, options.direct_backend), restart=options.gmres_restart)
    if inner == "direct":
        return SparseDirectSolver(backend=options.direct_backend)
    raise ValueError(f"inner must be one of {INNER_SOLVERS[:-1]}, got {inner!r}")


def default_hessian_modification(inner: str, options: AdaSketchOptions, n: int):
    """The Hessian modification rule for an inner solver (see :mod:`sketchsqp.linalg.hessian_modification`).

    * paper-faithful sketching (gaussian, kaczmarz): the paper's dense null-space rule up to
      ``NULL_SPACE_LIMIT`` variables, the certified shift beyond;
    * direct: IPOPT-style inertia correction on the LDL^T factorization the solve uses anyway;
    * minres, gmres, block: the certified shift (Gershgorin certificate, LDL^T inertia test up to
      ``options.factorization_limit`` unknowns, else a uniform shift making B positive definite).
    ``options.hessian_modification`` other than "auto" overrides the choice.
    """
    from ..linalg import CertifiedShift, InertiaCorrection

    choice = options.hessian_modification
    if choice == "auto":
        if inner in ("gaussian", "kaczmarz"):
            choice = "null-space" if n <= NULL_SPACE_LIMIT else "certified"
        elif inner == "direct":
            choice = "inertia"
        else:
            choice = "certified"
    if choice == "null-space":
        return NullSpaceEigenvalueShift(xi_B=options.xi_B)
    if choice == "inertia":
        return InertiaCorrection(backend=options.direct_backend)
    return CertifiedShift(xi_B=options.xi_B, factorization_limit=options.factorization_limit,
                          backend=options.direct_backend)


@dataclasses.dataclass(frozen=True)
class AdaSketchSolver:
    """AdaSketch-Newton with a named inner solver; ``solve(problem)`` runs it.

    Parameters
    ----------
    options : :class:`AdaSketchOptions` (the paper's defaults).
    inner : "gaussian" (Gaussian vector sketch) or "kaczmarz" (randomized Kaczmarz, sampling by
        ``options.kaczmarz_sampling``) -- the paper's methods; "block" (block sketch,
        ``options.block_sketch``/``block_size``), "minres", "gmres" (SciPy, ``options.preconditioner``),
        "direct" (sparse LDL^T, ``options.direct_backend``) or "auto" (chosen by structure at the
        first iteration, :func:`choose_inner`).
    """

    options: AdaSketchOptions = dataclasses.field(default_factory=AdaSketchOptions)
    inner: str = "gaussian"

    def __post_init__(self) -> None:
        if self.inner not in INNER_SOLVERS:
            raise ValueError(f"inner must be one of {INNER_SOLVERS}, got {self.inner!r}")

    @property
    def name(self) -> str:
        return "adasketch" if self.inner == "auto" else f"adasketch-{self.inner}"

    def build_inner_solver(self) -> LinearSolver | None:
        return None if self.inner == "auto" else build_inner_solver(self.inner, self.options)

    def solve(self, problem: Problem, *, seed=None, callback=None):
        from ..problem import evaluate_point
        from . import driver

        method = AdaSketchNewton(self.options, self.build_inner_solver(), name=self.name, evaluate=evaluate_point)
        return driver.run(method, problem, self.options, rng=np.random.default_rng(seed), callback=callback,
                          evaluate=evaluate_point)
