"""The augmented Lagrangian method (method of multipliers) with inexact Newton subproblem solves.

The baseline of Hong et al. (ICML 2023), with their prototype's parameters (ALGORITHM.md):

    L_A(x; y, mu) = f(x) + y^T c(x) + (mu/2) ||c(x)||^2

is minimised in x by Newton steps until ``||grad_x L_A||_2 <= tau``; then ``y <- y + mu c(x)``,
``mu <- 1.5 mu``, ``tau <- tau / 10`` (mu0 = 1, tau0 = 0.1).  Reference: J. Nocedal, S. J. Wright,
"Numerical Optimization", 2nd ed., Framework 17.3.  Unlike the prototype, tau stops at ``tol / 10``
(option ``tau_min``): a smaller one asks the subproblem for more than the KKT test needs, and
below what the line search can resolve in floating point the subproblem stalls.

One Newton step at x:

1. ``A = H(x, y + mu c) + mu J^T J`` is the Hessian of L_A (H the Lagrangian Hessian), and
   ``grad_x L_A = grad f + J^T (y + mu c)``.
2. Eigenvalue shift ``A + t I`` with ``lambda_min(A + t I) >= min_eigenvalue * max(1, ||A||)``
   (t = 0 when A already satisfies it): from a dense eigenvalue decomposition for at most
   ``dense_eigen_limit`` variables.  Above it, from Lanczos estimates of ``||A||`` and
   ``lambda_min(A)``; since the latter can be too optimistic, the shift is then doubled until the
   step has curvature ``d^T (A + t I) d >= min_eigenvalue max(1, ||A||) ||d||^2`` and is a descent
   direction (steepest descent as the last resort) -- a guarantee along the step, not for A + t I.
3. GMRES on ``(A + t I) d = -grad_x L_A`` to relative residual ``||r||_2 <= 1e-4 ||grad_x L_A||_2``.
4. Armijo backtracking (beta = 0.1, halving) on L_A.

Counting: ``nit`` is the number of Newton steps (one per driver iteration, as in the paper's plots);
``info["multiplier_updates"]`` is the number of multiplier updates (outer AL iterations);
``inner_iterations`` the GMRES iterations.  The multipliers reported with every iterate -- and
used in its KKT residual -- are the first-order estimate ``y + mu c(x)``, for which
``grad_x L(x, y + mu c) = grad_x L_A``.

Log and history columns: ``eta1`` holds mu, ``delta`` holds tau, ``eta2`` is unused (nan).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh

from ...linalg import InnerStatus, symmetric_norm
from ...problem import PointEvaluation, Problem, operators
from ...result import IterationRecord
from ...status import Status
from ..driver import OuterState, StepFailure
from .backtracking import ValueBacktracking, check_bounded, complete_point
from .gmres import MonitoredGMRES
from .options import AugLagOptions

# Scalable shift rule: the Lanczos estimate of lambda_min(A) is a Ritz value, an upper bound, so the
# shift it gives may be too small; it is then raised to FIRST_SHIFT ||A|| and doubled until the
# step has enough curvature, at most MAX_SHIFT_INCREASES times (then steepest descent).
RITZ_TOLERANCE = 1e-3
RITZ_RESTARTS = 20
FIRST_SHIFT = 1e-4
MAX_SHIFT_INCREASES = 40


@dataclasses.dataclass(frozen=True, kw_only=True)
class AugLagState(OuterState):
    """``point`` carries the first-order multiplier estimate y + mu c(x)."""

    multipliers: np.ndarray  # y of the current subproblem
    mu: float
    tau: float
    multiplier_updates: int = 0
    steepest_descent_steps: int = 0


@dataclasses.dataclass(frozen=True)
class ShiftedNewtonStep:
    direction: np.ndarray
    shift: float
    iterations: int
    steepest_descent: bool


def with_multipliers(point: PointEvaluation, y: np.ndarray) -> PointEvaluation:
    """The same point paired with other multipliers (no new evaluations)."""
    gl = point.g + point.jac_rmatvec(y) if point.c.size else point.g.copy()
    return dataclasses.replace(point, y=y, grad_lagrangian=gl)


class AugmentedLagrangianMethod:
    """Method of multipliers whose subproblems are solved by shifted inexact Newton steps."""

    def __init__(self, options: AugLagOptions, *, name: str = "auglag") -> None:
        self.options = options
        self.name = name
        self.line_search = ValueBacktracking(eta=options.beta, max_backtracks=options.max_backtracks)
        self.krylov = MonitoredGMRES(restart=options.gmres_restart, max_iter=options.max_inner_iter)

    # ------------------------------------------------------------------ protocol
    def init(self, problem: Problem, point: PointEvaluation, rng: np.random.Generator) -> AugLagState:
        o = self.options
        multipliers = point.y.copy()
        return AugLagState(point=with_multipliers(point, multipliers + o.mu0 * point.c), multipliers=multipliers,
                           mu=o.mu0, tau=o.tau0)

    def terminate(self, state: AugLagState) -> Status | None:
        return None

    def record(self, state: AugLagState, iteration: int) -> IterationRecord:
        return state.record(iteration, eta1=state.mu, eta2=float("nan"), delta=state.tau)

    def info(self, state: AugLagState) -> dict[str, Any]:
        return {"mu": state.mu, "tau": state.tau, "multiplier_updates": state.multiplier_updates,
                "subproblem_multipliers": state.multipliers.copy(),
                "steepest_descent_steps": state.steepest_descent_steps, "inner_solver": self.krylov.name}

    def step(self, problem: Problem, state: AugLagState, deadline: float) -> AugLagState:
        o = self.options
        point, multipliers, mu, tau = state.point, state.multipliers, state.mu, state.tau
        updates = 0
        tau_floor = o.tau_min if o.tau_min is not None else 0.1 * o.tol
        # The subproblem is solved at x: move to the next one (possibly several times at one x).
        while float(np.linalg.norm(point.grad_lagrangian)) <= tau and updates < o.max_multiplier_updates_per_step:
            multipliers = point.y
            mu *= o.mu_factor
            tau = max(tau * o.tau_factor, tau_floor)
            point = with_multipliers(point, multipliers + mu * point.c)
            updates += 1

        gradient = point.grad_lagrangian  # grad_x L_A at (x; multipliers, mu)
        hessian = problem.hess(point.x, point.y)
        newton = self._newton_direction(problem, point, hessian, mu, gradient, deadline)
        slope = float(gradient @ newton.direction)

        def merit(f: float, c: np.ndarray) -> float:
            return float(f + multipliers @ c + 0.5 * mu * (c @ c))  # L_A


        search = self.line_search.search(problem, point.x, newton.direction, merit, merit(point.f, point.c), slope)
        new_point = check_bounded(
            complete_point(problem, search.x, search.f, search.c, lambda c: multipliers + mu * c),
            ": the augmented Lagrangian subproblem looks unbounded below (a larger mu0 may help)")
        return AugLagState(
            point=new_point, multipliers=multipliers, mu=mu, tau=tau,
            inner_iterations=state.inner_iterations + newton.iterations, last_inner=newton.iterations,
            last_step_length=search.step_length, last_shift=newton.shift, last_merit=search.merit_value,
            multiplier_updates=state.multiplier_updates + updates,
            steepest_descent_steps=state.steepest_descent_steps + int(newton.steepest_descent),
        )

    # ------------------------------------------------------------------ the Newton step
    def _newton_direction(self, problem: Problem, point: PointEvaluation, hessian, mu: float,
                          gradient: np.ndarray, deadline: float) -> ShiftedNewtonStep:
        o = self.options
        n = problem.n
        if n <= max(o.dense_eigen_limit, 2):
            H = operators.to_dense(hessian)
            J = operators.to_dense(point.jac) if problem.m else np.zeros((0, n))
            A = 0.5 * (H + H.T) + mu * (J.T @ J)
            eigenvalues = np.linalg.eigvalsh(A)
            scale = max(1.0, float(np.max(np.abs(eigenvalues))))
            shift = max(0.0, o.min_eigenvalue * scale - float(eigenvalues[0]))
            d, iterations = self._solve(A, -gradient, shift, deadline)
            if float(gradient @ d) < 0.0:
                return ShiftedNewtonStep(d, shift, iterations, False)
            return ShiftedNewtonStep(-gradient, shift, iterations, True)

        A = self._hessian_operator(problem, point, hessian, mu)
        scale = symmetric_norm(A)
        scale = max(1.0, scale) if math.isfinite(scale) else 1.0
        floor = o.min_eigenvalue * scale
        estimate = self._smallest_ritz_value(A)
        shift = max(0.0, floor - estimate) if estimate is not None else 0.0
        iterations = 0
        for _ in range(MAX_SHIFT_INCREASES):
            d, used = self._solve(A, -gradient, shift, deadline)
            iterations += used
            length2 = float(d @ d)
            curvature = float(d @ A.matvec(d)) + shift * length2
            if curvature >= floor * length2 and float(gradient @ d) < 0.0:
                return ShiftedNewtonStep(d, shift, iterations, False)
            shift = max(2.0 * shift, FIRST_SHIFT * scale)
        return ShiftedNewtonStep(-gradient, shift, iterations, True)

    def _solve(self, A, rhs: np.ndarray, shift: float, deadline: float) -> tuple[np.ndarray, int]:
        """GMRES on ``(A + shift I) d = rhs`` to ``||residual|| <= inner_rtol ||rhs||``."""
        if isinstance(A, np.ndarray):
            def matvec(v):
                return A @ v + shift * v
        else:
            def matvec(v):
                return A.matvec(v) + shift * v
        target = self.options.inner_rtol * float(np.linalg.norm(rhs))
        outcome = self.krylov.solve(matvec, rhs, residual_target=target, deadline=deadline)
        if outcome.status is InnerStatus.TIME_LIMIT:
            raise StepFailure(Status.TIME_LIMIT, "time limit reached inside GMRES")
        if outcome.status is InnerStatus.BREAKDOWN or outcome.iterate is None:
            raise StepFailure(Status.NUMERICAL_ERROR, "GMRES broke down on the shifted Newton system")
        # MAX_ITER / STAGNATED: the iterate is still an inexact Newton step; the descent test decides.
        return outcome.iterate.z, outcome.iterations

    @staticmethod
    def _hessian_operator(problem: Problem, point: PointEvaluation, hessian, mu: float) -> LinearOperator:
        jac = point.jac

        def mv(v):
            v = np.asarray(v, dtype=float).reshape(-1)
            out = operators.matvec(hessian, v)
            if problem.m:
                out = out + mu * operators.rmatvec(jac, operators.matvec(jac, v))
            return out

        return LinearOperator((problem.n, problem.n), matvec=mv, rmatvec=mv, dtype=float)

    @staticmethod
    def _smallest_ritz_value(A: LinearOperator) -> float | None:
        """A Lanczos estimate of lambda_min(A) (a Ritz value: never below it), None when unknown."""
        try:
            return float(eigsh(A, k=1, which="SA", return_eigenvectors=False, tol=RITZ_TOLERANCE,
                               maxiter=RITZ_RESTARTS)[0])
        except ArpackNoConvergence as exc:
            return float(np.min(exc.eigenvalues)) if len(exc.eigenvalues) else None


@dataclasses.dataclass(frozen=True)
class AugLagSolver:
    """The augmented Lagrangian baseline; ``solve(problem)`` runs it through the generic driver."""

    options: AugLagOptions = dataclasses.field(default_factory=AugLagOptions)

    @property
    def name(self) -> str:
        return "auglag"

    def solve(self, problem: Problem, *, seed=None, callback=None):
        from ...problem import evaluate_point
        from .. import driver

        method = AugmentedLagrangianMethod(self.options, name=self.name)
        return driver.run(method, problem, self.options, rng=np.random.default_rng(seed), callback=callback,
                          evaluate=evaluate_point)
