"""AdaSketch-Newton: adaptive inexact SQP with randomized sketching and an exact augmented Lagrangian.

Reference: I. Hong, S. Na, M. W. Mahoney, M. Kolar, "Constrained Optimization via Exact Augmented
Lagrangian and Randomized Iterative Sketching", ICML 2023.  One outer iteration is steps 1-8 of
ALGORITHM.md; the constants below are named after the paper's symbols.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any, Callable

import numpy as np

from ..linalg import (InnerStatus, KKTOperator, LinearSolver, NullSpaceEigenvalueShift, gram_extremes, kkt_norm,
                      symmetric_norm)
from ..merit import ExactAugmentedLagrangian
from ..problem import PointEvaluation, Problem
from ..result import IterationRecord
from ..status import Status
from .driver import StepFailure
from .line_search import BacktrackingArmijo
from .options import AdaSketchOptions

PSI_FACTOR = 20.0  # psi = 20 max(||B||^2, 1) / (min(xi_G, 1) min(xi_B, 1))  (paper, Thm 4.3 constants)
INFEASIBLE_STREAK = 5  # consecutive iterations with J^T c ~ 0 and c != 0 before declaring infeasibility


@dataclasses.dataclass(frozen=True)
class AdaSketchState:
    point: PointEvaluation
    eta1: float
    eta2: float
    delta: float
    kappa: float
    inner_iterations: int = 0
    last_inner: int = 0
    last_step_length: float = float("nan")
    last_shift: float = 0.0
    last_merit: float = float("nan")
    penalty_updates: int = 0
    safeguard_hits: int = 0
    rank_deficient_iterations: int = 0
    infeasible_streak: int = 0
    inner_status_counts: dict = dataclasses.field(default_factory=dict)


def psi_constant(norm_b: float, xi_g: float, xi_b: float) -> float:
    return PSI_FACTOR * max(norm_b**2, 1.0) / (min(xi_g, 1.0) * min(xi_b, 1.0))


def delta_trial(options: AdaSketchOptions, eta1: float, eta2: float, upsilon: float, psi: float) -> float:
    """(0.5 - beta) eta2 / ((1 + eta1 + eta2) Upsilon^2 psi^2)  (ALGORITHM.md, step 5)."""
    return (0.5 - options.beta) * eta2 / ((1.0 + eta1 + eta2) * upsilon**2 * psi**2)


class AdaSketchNewton:
    """The outer loop of AdaSketch-Newton, assembled from an inner solver and a line search."""

    def __init__(self, options: AdaSketchOptions, inner_solver: LinearSolver, *, name: str,
                 evaluate: Callable[[Problem, np.ndarray, np.ndarray], PointEvaluation],
                 hessian_modification=None) -> None:
        self.options = options
        self.inner_solver = inner_solver
        self.name = name
        self.evaluate = evaluate
        self.hessian_modification = hessian_modification or NullSpaceEigenvalueShift(xi_B=options.xi_B)
        self.line_search = BacktrackingArmijo(beta=options.beta, max_backtracks=options.max_backtracks)

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
        p = state.point
        return IterationRecord(iteration=iteration, fun=p.f, constr_norm=p.constr_norm, kkt_residual=p.kkt_residual,
                               step_length=state.last_step_length, inner_iterations=state.last_inner,
                               eta1=state.eta1, eta2=state.eta2, delta=state.delta,
                               hessian_shift=state.last_shift, merit=state.last_merit)

    def info(self, state: AdaSketchState) -> dict[str, Any]:
        return {"eta1": state.eta1, "eta2": state.eta2, "delta": state.delta, "kappa": state.kappa,
                "penalty_updates": state.penalty_updates, "safeguard_hits": state.safeguard_hits,
                "rank_deficient_iterations": state.rank_deficient_iterations,
                "inner_status_counts": dict(state.inner_status_counts),
                "accuracy": self.options.accuracy, "theta": self.options.theta,
                "inner_solver": self.inner_solver.name}

    def step(self, problem: Problem, state: AdaSketchState, deadline: float) -> AdaSketchState:
        o = self.options
        point = state.point
        hessian = problem.hess(point.x, point.y)
        norm_h = symmetric_norm(hessian)
        modified = self.hessian_modification.modify(hessian, point.jac, norm_h)
        norm_b = symmetric_norm(modified.matrix) if modified.shift else norm_h
        jjt_max, jjt_min = gram_extremes(point.jac, problem.m, problem.n)
        norm_j2 = max(1.0, jjt_max)
        rank_deficient = problem.m > 0 and jjt_min <= o.licq_tol * norm_j2
        rho = o.regularization * norm_j2 if rank_deficient else 0.0
        kkt = KKTOperator(modified.matrix, point.jac, rho)
        rhs = -np.concatenate([point.grad_lagrangian, point.c])
        rhs_norm = float(np.linalg.norm(rhs))

        xi_g = max(jjt_min, rho) if problem.m else 1.0
        psi = psi_constant(norm_b, xi_g, o.xi_B)
        upsilon = max(math.sqrt(jjt_max), norm_h, 1.0)
        norm_k = max(kkt_norm(kkt), np.finfo(float).tiny)
        theta_k = o.theta0 * (min(1.0, math.sqrt(point.kkt_residual)) if o.theta == "superlinear" else 1.0)

        eta1, eta2, kappa = state.eta1, state.eta2, state.kappa
        delta = max(o.delta_min, min(state.delta, delta_trial(o, eta1, eta2, upsilon, psi)))
        merit = ExactAugmentedLagrangian(eta1, eta2)
        parts = merit.derivative_parts(point, hessian)
        inner = self.inner_solver.start(kkt, rhs, self.rng)
        n = problem.n
        used = 0
        penalty_updates = state.penalty_updates
        safeguard_hits = state.safeguard_hits
        statuses = dict(state.inner_status_counts)
        last_status = InnerStatus.REACHED
        while True:
            if o.accuracy == "theory":
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
                raise StepFailure(self._failure_status(rank_deficient, last_status, Status.PENALTY_SAFEGUARD),
                                  f"penalties at their safeguard (eta1={eta1:.2e}, eta2={eta2:.2e}) and the step is "
                                  f"not a descent direction (slope {slope:.3e})")
            eta1 *= o.nu**2
            eta2 /= o.nu
            delta = max(o.delta_min, min(delta / o.nu**4, delta_trial(o, eta1, eta2, upsilon, psi)))
            kappa = max(o.kappa_min, kappa / o.nu**2)
            penalty_updates += 1

        search = self.line_search.search(
            problem, merit, point, dx.copy(), dy.copy(), slope, self.evaluate,
            failure_status=self._failure_status(rank_deficient, last_status, Status.LINE_SEARCH_FAILED))
        new_point = search.point
        return AdaSketchState(
            point=new_point, eta1=eta1, eta2=eta2, delta=delta, kappa=kappa,
            inner_iterations=state.inner_iterations + used, last_inner=used,
            last_step_length=search.step_length, last_shift=modified.shift, last_merit=search.merit_value,
            penalty_updates=penalty_updates, safeguard_hits=safeguard_hits,
            rank_deficient_iterations=state.rank_deficient_iterations + int(rank_deficient),
            infeasible_streak=(state.infeasible_streak + 1) if self._looks_infeasible(new_point) else 0,
            inner_status_counts=statuses,
        )

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _failure_status(rank_deficient: bool, inner_status: InnerStatus, default: Status) -> Status:
        if rank_deficient:
            return Status.RANK_DEFICIENT
        if inner_status in (InnerStatus.MAX_ITER, InnerStatus.STAGNATED):
            return Status.INNER_SOLVER_FAILED
        return default

    def _looks_infeasible(self, point: PointEvaluation) -> bool:
        c_norm = point.constr_norm
        if c_norm <= self.options.tol:
            return False
        return float(np.linalg.norm(point.jac_rmatvec(point.c))) <= self.options.infeasibility_tol * c_norm


INNER_SOLVERS = ("gaussian", "kaczmarz")


@dataclasses.dataclass(frozen=True)
class AdaSketchSolver:
    """AdaSketch-Newton with a named sketching inner solver; ``solve(problem)`` runs it.

    Parameters
    ----------
    options : :class:`AdaSketchOptions` (the paper's defaults).
    inner : "gaussian" (Gaussian vector sketch) or "kaczmarz" (randomized Kaczmarz, sampling by
        ``options.kaczmarz_sampling``).
    """

    options: AdaSketchOptions = dataclasses.field(default_factory=AdaSketchOptions)
    inner: str = "gaussian"

    def __post_init__(self) -> None:
        if self.inner not in INNER_SOLVERS:
            raise ValueError(f"inner must be one of {INNER_SOLVERS}, got {self.inner!r}")

    @property
    def name(self) -> str:
        return f"adasketch-{self.inner}"

    def build_inner_solver(self) -> LinearSolver:
        from ..linalg import GaussianSketchSolver, KaczmarzRowSketch, KaczmarzSolver

        if self.inner == "kaczmarz":
            return KaczmarzSolver(KaczmarzRowSketch(self.options.kaczmarz_sampling))
        return GaussianSketchSolver()

    def solve(self, problem: Problem, *, seed=None, callback=None):
        from ..problem import evaluate_point
        from . import driver

        method = AdaSketchNewton(self.options, self.build_inner_solver(), name=self.name, evaluate=evaluate_point)
        return driver.run(method, problem, self.options, rng=np.random.default_rng(seed), callback=callback,
                          evaluate=evaluate_point)
