"""GMRES-l1-SQP: the inexact SQP method of Byrd, Curtis and Nocedal, and its adaptive variant.

Reference: R. H. Byrd, F. E. Curtis, J. Nocedal, "An inexact SQP method for equality constrained
optimization", SIAM J. Optim. 19(1), 351-369, 2008 -- a baseline of Hong et al. (ICML 2023), run
here with the parameters of their prototype (ALGORITHM.md, "Baselines in the paper").

One outer iteration at (x, y):

1. B = H + t I, the paper's Hessian modification (as AdaSketch-Newton), so both solve the same system
   ``K z = b``, ``K = [[B, J^T], [J, 0]]``, ``b = -(grad_x L, c)``, ``z = (dx, dy)``.  Above
   ``null_space_limit`` variables a scalable rule replaces the dense one (option
   ``hessian_modification``).
2. GMRES from z = 0; after every Krylov iteration a *termination rule* looks at the iterate, with
   residual ``K z - b = (rho, c + J dx)``, and either accepts it (possibly raising the penalty mu)
   or asks for more iterations:

   * :class:`ByrdCurtisNocedalTests` -- test 1: ``||K z - b||_1 <= kappa ||b||_1`` and
     ``mred_mu(dx) >= max(dx^T B dx / 2, 0) + sigma mu max(||c||_1, ||c + J dx||_1 - ||c||_1)``;
     test 2: ``||rho||_1 <= kappa1 ||c||_1`` and ``||c + J dx||_1 <= epsilon ||c||_1``, after
     which mu is raised to ``(grad f^T dx + max(dx^T B dx / 2, 0)) / ((1 - tau)(||c||_1 - ||c + J dx||_1))``
     (+ 1e-4) if it is below that.
   * :class:`AdaptiveResidualTest` -- ``||K z - b||_1 <= kappa ||b||_1`` and the model-reduction
     inequality above; while the second fails, ``mu <- nu mu`` and ``kappa <- kappa / nu^2``.

   ``mred_mu(dx) = -grad f^T dx + mu (||c||_1 - ||c + J dx||_1)`` (:class:`~sketchsqp.merit.l1.L1Merit`).
3. Armijo backtracking (halving, eta = 1e-8) on ``f + mu ||c||_1`` with slope ``-mred_mu(dx)``.
4. ``x <- x + alpha dx``, ``y <- y + alpha dy``.

Log and history columns: ``eta1`` holds mu, ``delta`` holds kappa, ``eta2`` is unused (nan);
``inner_iterations`` counts GMRES iterations.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from ...linalg import (CertifiedShift, InnerStatus, KKTOperator, ModifiedHessian, NullSpaceEigenvalueShift,
                      gram_extremes)
from ...merit.l1 import L1Merit
from ...problem import PointEvaluation, Problem
from ...result import IterationRecord
from ...status import Status
from ..driver import OuterState, StepFailure
from .backtracking import ValueBacktracking, check_bounded, complete_point
from .gmres import KrylovIterate, MonitoredGMRES
from .options import AdaptiveL1SQPOptions, L1SQPCommonOptions, L1SQPOptions


@dataclasses.dataclass(frozen=True)
class PositiveDefiniteShortcut:
    """The paper's Hessian modification, skipped when H itself is positive definite.

    ``lambda_min(Z^T H Z) >= lambda_min(H)``, so when ``H - threshold I`` has a Cholesky factor the
    null-space rule would not shift either; the shortcut avoids its dense null-space basis (an
    SVD of J) on convex problems.  Checked for explicit H: diagonal sparse matrices directly,
    others by a dense Cholesky up to ``dense_limit`` variables.
    """

    fallback: NullSpaceEigenvalueShift
    dense_limit: int = 3000

    def modify(self, hessian, jac, norm_hessian: float | None = None) -> ModifiedHessian:
        if self._positive_definite(hessian):
            return ModifiedHessian(hessian, 0.0, float("nan"))
        return self.fallback.modify(hessian, jac, norm_hessian)

    def _positive_definite(self, hessian) -> bool:
        threshold = self.fallback.threshold
        if isinstance(hessian, LinearOperator):
            return False
        if sp.issparse(hessian):
            diagonal = hessian.diagonal()
            if hessian.count_nonzero() == np.count_nonzero(diagonal):
                return bool(np.all(diagonal >= threshold))
            if hessian.shape[0] > self.dense_limit:
                return False
            hessian = hessian.toarray()
        elif hessian.shape[0] > self.dense_limit:
            return False
        dense = np.asarray(hessian, dtype=float)
        try:
            np.linalg.cholesky(0.5 * (dense + dense.T) - threshold * np.eye(dense.shape[0]))
        except np.linalg.LinAlgError:
            return False
        return True


@dataclasses.dataclass(frozen=True)
class TrialStep:
    """A GMRES iterate ``z = (dx, dy)`` seen through the quantities the termination tests use."""

    dx: np.ndarray
    dy: np.ndarray
    linearized: np.ndarray  # c + J dx (second block of the residual)
    curvature: float  # dx^T B dx
    residual_l1: float  # ||K z - b||_1
    dual_residual_l1: float  # ||rho||_1, rho = B dx + J^T dy + grad_x L
    linearized_l1: float  # ||c + J dx||_1
    constraint_l1: float  # ||c||_1
    rhs_l1: float  # ||b||_1
    final: bool = False  # GMRES can do no better than this iterate (exact in its space, or rounding floor)

    @classmethod
    def from_iterate(cls, iterate: KrylovIterate, point: PointEvaluation, rhs_l1: float) -> "TrialStep":
        n = point.x.shape[0]
        dx, dy = iterate.z[:n], iterate.z[n:]
        residual, product = iterate.residual, iterate.product
        # K z = (B dx + J^T dy, J dx), so dx^T B dx = dx^T (K z)_1 - (J dx)^T dy: no product with B.
        curvature = float(dx @ product[:n] - product[n:] @ dy)
        linearized = residual[n:]
        return cls(dx=dx, dy=dy, linearized=linearized, curvature=curvature,
                   residual_l1=float(np.sum(np.abs(residual))), dual_residual_l1=float(np.sum(np.abs(residual[:n]))),
                   linearized_l1=float(np.sum(np.abs(linearized))), constraint_l1=float(np.sum(np.abs(point.c))),
                   rhs_l1=rhs_l1, final=iterate.exhausted)

    def model_reduction(self, point: PointEvaluation, mu: float) -> float:
        return L1Merit(mu).model_reduction(point, self.dx, self.linearized)

    def passes_model_test(self, point: PointEvaluation, mu: float, sigma: float) -> bool:
        """``mred >= max(dx^T B dx / 2, 0) + sigma mu max(||c||_1, ||c + J dx||_1 - ||c||_1)``, and mred > 0.

        A positive reduction is also required: with c = 0 the inequality alone would accept dx = 0.
        """
        reduction = self.model_reduction(point, mu)
        required = max(0.5 * self.curvature, 0.0) + sigma * mu * max(self.constraint_l1,
                                                                      self.linearized_l1 - self.constraint_l1)
        return reduction > 0.0 and reduction >= required


@dataclasses.dataclass(frozen=True)
class Penalties:
    mu: float
    kappa: float


@dataclasses.dataclass(frozen=True)
class Decision:
    accept: bool
    penalties: Penalties
    test: str = ""  # which test accepted the step


class TerminationRule(Protocol):
    name: str

    def decide(self, trial: TrialStep, point: PointEvaluation, penalties: Penalties) -> Decision: ...

    def residual_gate(self, rhs_l1: float, constraint_l1: float, penalties: Penalties) -> float:
        """A bound on ``||K z - b||_2`` that every step the rule could accept satisfies."""
        ...


@dataclasses.dataclass(frozen=True)
class ByrdCurtisNocedalTests:
    """Termination tests 1 and 2 of Byrd, Curtis and Nocedal (2008), in l1 norms."""

    options: L1SQPOptions
    name: str = "bcn-tests"

    def decide(self, trial: TrialStep, point: PointEvaluation, penalties: Penalties) -> Decision:
        o = self.options
        mu = penalties.mu
        if trial.residual_l1 <= o.kappa * trial.rhs_l1 and trial.passes_model_test(point, mu, o.sigma):
            return Decision(True, penalties, "test1")
        c1, r1 = trial.constraint_l1, trial.linearized_l1
        if c1 > 0.0 and trial.dual_residual_l1 <= o.kappa1 * c1 and r1 <= o.epsilon * c1:
            slope_f = float(point.g @ trial.dx)
            needed = (slope_f + max(0.5 * trial.curvature, 0.0)) / ((1.0 - o.tau) * (c1 - r1))
            if mu < needed:
                mu = needed + o.mu_increment
            return Decision(True, Penalties(mu, penalties.kappa), "test2")
        return Decision(False, penalties)

    def residual_gate(self, rhs_l1: float, constraint_l1: float, penalties: Penalties) -> float:
        # ||r||_2 <= ||r||_1; test 2 bounds ||r||_1 <= ||rho||_1 + ||c + J dx||_1 by (kappa1 + epsilon) ||c||_1.
        o = self.options
        return max(penalties.kappa * rhs_l1, (o.kappa1 + o.epsilon) * constraint_l1)


@dataclasses.dataclass(frozen=True)
class AdaptiveResidualTest:
    """``||K z - b||_1 <= kappa ||b||_1`` plus the model-reduction test; ``mu <- nu mu``,
    ``kappa <- kappa / nu^2`` while the residual part holds and the model part does not.

    A final GMRES iterate (nothing better to come) counts as meeting the residual part whatever
    kappa is: tightening kappa below the rounding floor would only stall the method.
    """

    options: AdaptiveL1SQPOptions
    name: str = "adaptive"

    def decide(self, trial: TrialStep, point: PointEvaluation, penalties: Penalties) -> Decision:
        o = self.options
        mu, kappa = penalties.mu, penalties.kappa
        while trial.final or trial.residual_l1 <= kappa * trial.rhs_l1:
            if trial.passes_model_test(point, mu, o.sigma):
                return Decision(True, Penalties(mu, kappa), "adaptive")
            if mu >= o.mu_max and (trial.final or kappa <= o.kappa_min):
                break  # nothing left to adapt
            mu = min(mu * o.nu, o.mu_max)
            kappa = max(kappa / o.nu**2, o.kappa_min)
        return Decision(False, Penalties(mu, kappa))

    def residual_gate(self, rhs_l1: float, constraint_l1: float, penalties: Penalties) -> float:
        return penalties.kappa * rhs_l1  # ||r||_2 <= ||r||_1 <= kappa ||b||_1


@dataclasses.dataclass(frozen=True, kw_only=True)
class L1SQPState(OuterState):
    mu: float
    kappa: float
    penalty_updates: int = 0
    test_counts: dict = dataclasses.field(default_factory=dict)


class InexactL1SQP:
    """The outer loop of GMRES-l1-SQP, assembled from a termination rule, GMRES and a line search."""

    def __init__(self, options: L1SQPCommonOptions, rule: TerminationRule, *, name: str,
                 hessian_modification=None) -> None:
        self.options = options
        self.rule = rule
        self.name = name
        self.hessian_modification = hessian_modification
        self.krylov = MonitoredGMRES(restart=options.gmres_restart, max_iter=options.max_inner_iter)
        self.line_search = ValueBacktracking(eta=options.eta, max_backtracks=options.max_backtracks)

    # ------------------------------------------------------------------ protocol
    def init(self, problem: Problem, point: PointEvaluation, rng: np.random.Generator) -> L1SQPState:
        kappa = getattr(self.options, "kappa", float("nan"))
        return L1SQPState(point=point, mu=self.options.mu, kappa=kappa)

    def terminate(self, state: L1SQPState) -> Status | None:
        return None

    def record(self, state: L1SQPState, iteration: int) -> IterationRecord:
        return state.record(iteration, eta1=state.mu, eta2=float("nan"), delta=state.kappa)

    def info(self, state: L1SQPState) -> dict[str, Any]:
        return {"mu": state.mu, "kappa": state.kappa, "penalty_updates": state.penalty_updates,
                "termination_tests": dict(state.test_counts), "termination_rule": self.rule.name,
                "inner_solver": self.krylov.name}

    def step(self, problem: Problem, state: L1SQPState, deadline: float) -> L1SQPState:
        o = self.options
        point = state.point
        n = problem.n
        hessian = problem.hess(point.x, point.y)
        modified = self._hessian_modification(n).modify(hessian, point.jac)
        kkt = KKTOperator(modified.matrix, point.jac)
        rhs = -np.concatenate([point.grad_lagrangian, point.c])
        rhs_l1 = float(np.sum(np.abs(rhs)))

        penalties = Penalties(state.mu, state.kappa)
        accepted: list[tuple[TrialStep, Decision]] = []

        def accept(iterate: KrylovIterate) -> bool:
            nonlocal penalties
            trial = TrialStep.from_iterate(iterate, point, rhs_l1)
            decision = self.rule.decide(trial, point, penalties)
            penalties = decision.penalties
            if decision.accept:
                accepted.append((trial, decision))
            return decision.accept

        constraint_l1 = float(np.sum(np.abs(point.c)))

        def gate() -> float:
            return self.rule.residual_gate(rhs_l1, constraint_l1, penalties)

        outcome = self.krylov.solve(kkt.matvec, rhs, accept, residual_target=gate, deadline=deadline)
        if outcome.status is not InnerStatus.REACHED:
            raise StepFailure(self._krylov_failure(problem, point, outcome.status),
                              f"GMRES stopped ({outcome.status.value}) after {outcome.iterations} iterations "
                              f"without a step that passes the termination tests")
        trial, decision = accepted[-1]
        mu = decision.penalties.mu
        if mu > o.mu_max:
            raise StepFailure(Status.PENALTY_SAFEGUARD, f"the l1 penalty mu = {mu:.3e} exceeds mu_max = {o.mu_max:.1e}")
        merit = L1Merit(mu)
        slope = -trial.model_reduction(point, mu)
        search = self.line_search.search(problem, point.x, trial.dx, merit.value_of, merit.value(point), slope)
        y_new = point.y + search.step_length * trial.dy
        new_point = check_bounded(complete_point(problem, search.x, search.f, search.c, lambda c: y_new))
        counts = dict(state.test_counts)
        counts[decision.test] = counts.get(decision.test, 0) + 1
        return L1SQPState(
            point=new_point, mu=mu, kappa=decision.penalties.kappa,
            inner_iterations=state.inner_iterations + outcome.iterations, last_inner=outcome.iterations,
            last_step_length=search.step_length, last_shift=modified.shift, last_merit=search.merit_value,
            penalty_updates=state.penalty_updates + int(mu != state.mu), test_counts=counts,
        )

    def _hessian_modification(self, n: int):
        if self.hessian_modification is not None:
            return self.hessian_modification
        o = self.options
        rule = o.hessian_modification
        if rule == "auto":
            rule = "null-space" if n <= o.null_space_limit else "certified"
        if rule == "certified":
            return CertifiedShift(xi_B=o.xi_B)
        return PositiveDefiniteShortcut(NullSpaceEigenvalueShift(xi_B=o.xi_B))

    def _krylov_failure(self, problem: Problem, point: PointEvaluation, status: InnerStatus) -> Status:
        if status is InnerStatus.TIME_LIMIT:
            return Status.TIME_LIMIT
        if status is InnerStatus.BREAKDOWN:
            return Status.NUMERICAL_ERROR
        if problem.m:
            jjt_max, jjt_min = gram_extremes(point.jac, problem.m, problem.n)
            if jjt_min <= self.options.licq_tol * max(1.0, jjt_max):
                return Status.RANK_DEFICIENT
        return Status.INNER_SOLVER_FAILED


@dataclasses.dataclass(frozen=True)
class L1SQPSolver:
    """GMRES-l1-SQP; ``adaptive=True`` selects the adaptive variant.  ``solve(problem)`` runs it.

    Parameters
    ----------
    options : :class:`L1SQPOptions` (``adaptive=False``) or :class:`AdaptiveL1SQPOptions`; None
        gives the prototype's defaults.
    adaptive : which termination rule GMRES stops on.
    """

    options: L1SQPCommonOptions | None = None
    adaptive: bool = False

    def __post_init__(self) -> None:
        expected = AdaptiveL1SQPOptions if self.adaptive else L1SQPOptions
        if self.options is None:
            object.__setattr__(self, "options", expected())
        elif not isinstance(self.options, expected):
            raise TypeError(f"{self.name} takes {expected.__name__}, got {type(self.options).__name__}")

    @property
    def name(self) -> str:
        return "l1sqp-gmres-adaptive" if self.adaptive else "l1sqp-gmres"

    def build_method(self) -> InexactL1SQP:
        rule = AdaptiveResidualTest(self.options) if self.adaptive else ByrdCurtisNocedalTests(self.options)
        return InexactL1SQP(self.options, rule, name=self.name)

    def solve(self, problem: Problem, *, seed=None, callback=None):
        from ...problem import evaluate_point
        from .. import driver

        return driver.run(self.build_method(), problem, self.options, rng=np.random.default_rng(seed),
                          callback=callback, evaluate=evaluate_point)
