"""Typed, validated options of the paper's baselines.

Defaults are the parameters of the authors' prototype (ALGORITHM.md, "Baselines in the paper");
``tol`` keeps the library's user default 1e-6 (pass ``tol=1e-4`` to reproduce the paper).
"""

from __future__ import annotations

import dataclasses

from ..options import DriverOptions, _check, _is_number


def _positive(options, *names: str) -> None:
    for name in names:
        value = getattr(options, name)
        _check(_is_number(value) and value > 0, name, value, "a positive number")


def _open_unit(options, *names: str) -> None:
    for name in names:
        value = getattr(options, name)
        _check(_is_number(value) and 0 < value < 1, name, value, "in (0, 1)")


def _positive_int(options, *names: str) -> None:
    for name in names:
        value = getattr(options, name)
        _check(isinstance(value, int) and not isinstance(value, bool) and value >= 1, name, value,
               "a positive integer")


@dataclasses.dataclass(frozen=True)
class L1SQPCommonOptions(DriverOptions):
    """What both GMRES-l1-SQP variants share: the Hessian modification, GMRES and the line search.

    mu : initial penalty parameter of the l1 merit ``f + mu ||c||_1``.
    sigma : model-reduction constant of termination test 1,
        ``mred >= max(dx^T B dx / 2, 0) + sigma mu max(||c||_1, ||c + J dx||_1 - ||c||_1)``.
    eta : Armijo constant of the line search on the l1 merit.
    xi_B : Hessian modification ``B = H + (xi_B + ||H||) I`` when the reduced Hessian is not
        positive definite (the rule AdaSketch-Newton uses, so both methods solve the same K).
    hessian_modification : "null-space" (the paper's rule above; dense SVD of J, skipped when H
        itself is positive definite), "certified" (:class:`~sketchsqp.linalg.CertifiedShift`, no
        dense linear algebra) or "auto" (null-space up to ``null_space_limit`` variables).
    max_inner_iter : GMRES iterations per outer iteration.
    gmres_restart : Krylov basis size before GMRES restarts (memory ``8 gmres_restart (n + m)`` bytes);
        None: full GMRES up to 1000 vectors while the basis fits in 256 MiB, else as many vectors as
        fit (at least 20).
    mu_max : the penalty may not grow past this; the run then stops with PENALTY_SAFEGUARD.
    licq_tol : when GMRES fails, ``lambda_min(J J^T) <= licq_tol max(1, ||J||^2)`` reports RANK_DEFICIENT.
    """

    mu: float = 1.0
    sigma: float = 0.09
    eta: float = 1e-8
    xi_B: float = 0.1
    hessian_modification: str = "auto"
    null_space_limit: int = 2000
    max_inner_iter: int = 100_000
    gmres_restart: int | None = None
    mu_max: float = 1e8
    max_backtracks: int = 60
    licq_tol: float = 1e-10

    def __post_init__(self) -> None:
        super().__post_init__()
        _positive(self, "mu", "xi_B", "mu_max")
        _open_unit(self, "sigma")
        _check(_is_number(self.eta) and 0 < self.eta < 0.5, "eta", self.eta, "in (0, 0.5)")
        _positive_int(self, "max_inner_iter", "max_backtracks", "null_space_limit")
        if self.gmres_restart is not None:
            _positive_int(self, "gmres_restart")
        _check(self.hessian_modification in ("auto", "null-space", "certified"), "hessian_modification",
               self.hessian_modification, "'auto', 'null-space' or 'certified'")
        _check(self.mu <= self.mu_max, "mu", self.mu, f"at most mu_max = {self.mu_max!r}")
        _check(_is_number(self.licq_tol) and self.licq_tol >= 0, "licq_tol", self.licq_tol, "non-negative")


@dataclasses.dataclass(frozen=True)
class L1SQPOptions(L1SQPCommonOptions):
    """GMRES-l1-SQP with the termination tests of Byrd, Curtis and Nocedal (2008).

    All residual and constraint norms are l1 norms (the norm of the merit function).

    kappa : test 1 residual factor, ``||K z - b||_1 <= kappa ||b||_1``.  The prototype's value 1
        makes this part hold at every GMRES iterate, so the model-reduction part decides.
    kappa1 : test 2 dual residual factor, ``||rho||_1 <= kappa1 ||c||_1`` (rho = first block of K z - b).
    epsilon : test 2 primal residual factor, ``||c + J dx||_1 <= epsilon ||c||_1``.
    tau : penalty update after test 2,
        ``mu >= (grad f^T dx + max(dx^T B dx / 2, 0)) / ((1 - tau)(||c||_1 - ||c + J dx||_1))``.
    mu_increment : added to that lower bound when the penalty has to grow (BCN 2008: 1e-4).

    The paper's ``sigma = tau (1 - epsilon)`` (0.09 = 0.1 * 0.9) is what makes a test-2 step
    satisfy the model-reduction bound after the penalty update; it is checked here.
    """

    kappa: float = 1.0
    kappa1: float = 0.1
    epsilon: float = 0.1
    tau: float = 0.1
    mu_increment: float = 1e-4

    def __post_init__(self) -> None:
        super().__post_init__()
        _check(_is_number(self.kappa) and 0 < self.kappa <= 1, "kappa", self.kappa, "in (0, 1]")
        _positive(self, "kappa1", "mu_increment")
        _open_unit(self, "epsilon", "tau")
        bound = self.tau * (1 - self.epsilon)
        _check(self.sigma <= bound * (1 + 1e-12), "sigma", self.sigma,
               f"at most tau (1 - epsilon) = {bound!r} (Byrd, Curtis and Nocedal 2008)")


@dataclasses.dataclass(frozen=True)
class AdaptiveL1SQPOptions(L1SQPCommonOptions):
    """Adaptive GMRES-l1-SQP: GMRES runs to ``||K z - b||_1 <= kappa ||b||_1``; while the step fails
    the model-reduction test, ``mu <- nu mu`` and ``kappa <- kappa / nu^2`` (both kept across
    iterations, like the practical mode of AdaSketch-Newton).

    kappa_min : floor on kappa.
    """

    kappa: float = 0.1
    nu: float = 1.5
    kappa_min: float = 1e-14

    def __post_init__(self) -> None:
        super().__post_init__()
        _check(_is_number(self.kappa) and 0 < self.kappa <= 1, "kappa", self.kappa, "in (0, 1]")
        _check(_is_number(self.nu) and self.nu > 1, "nu", self.nu, "greater than 1")
        _positive(self, "kappa_min")


@dataclasses.dataclass(frozen=True)
class AugLagOptions(DriverOptions):
    """Augmented Lagrangian method: Newton on ``L(x, y) + (mu/2) ||c||^2`` in x, then multipliers.

    mu0, tau0 : initial penalty and initial tolerance on ``||grad_x L_A||_2`` of the subproblem.
    mu_factor, tau_factor : after each subproblem, ``mu <- mu_factor mu`` and
        ``tau <- max(tau_factor tau, tau_min)``.
    tau_min : floor on the subproblem tolerance; None: ``tol / 10``.  Without a floor tau falls
        below what the line search can resolve in floating point, and the subproblem stalls.
    inner_rtol : relative residual of the inexact Newton solve (GMRES), ``||r||_2 <= inner_rtol ||grad||_2``.
    beta : Armijo constant of the line search on the augmented Lagrangian.
    min_eigenvalue : the Hessian A is shifted, ``A + t I``, so that its smallest eigenvalue is at
        least ``min_eigenvalue * max(1, ||A||)`` (no shift when A already is).
    dense_eigen_limit : up to this many variables the shift comes from a dense eigenvalue
        decomposition; above it, from a Lanczos estimate of lambda_min(A), doubled until the step
        has curvature at least ``min_eigenvalue * max(1, ||A||)`` and is a descent direction.
    max_inner_iter : GMRES iterations per Newton step (per shift tried).
    gmres_restart : as for GMRES-l1-SQP (None: automatic).
    max_multiplier_updates_per_step : multiplier updates allowed at one point before a Newton step.
    """

    mu0: float = 1.0
    tau0: float = 0.1
    mu_factor: float = 1.5
    tau_factor: float = 0.1
    tau_min: float | None = None
    inner_rtol: float = 1e-4
    beta: float = 0.1
    min_eigenvalue: float = 1e-8
    dense_eigen_limit: int = 600
    max_inner_iter: int = 100_000
    gmres_restart: int | None = None
    max_backtracks: int = 60
    max_multiplier_updates_per_step: int = 30

    def __post_init__(self) -> None:
        super().__post_init__()
        _positive(self, "mu0", "tau0", "min_eigenvalue")
        if self.tau_min is not None:
            _positive(self, "tau_min")
        _check(_is_number(self.mu_factor) and self.mu_factor >= 1, "mu_factor", self.mu_factor, "at least 1")
        _open_unit(self, "tau_factor", "inner_rtol")
        _check(_is_number(self.beta) and 0 < self.beta < 0.5, "beta", self.beta, "in (0, 0.5)")
        _check(isinstance(self.dense_eigen_limit, int) and not isinstance(self.dense_eigen_limit, bool)
               and self.dense_eigen_limit >= 0, "dense_eigen_limit", self.dense_eigen_limit, "a non-negative integer")
        _positive_int(self, "max_inner_iter", "max_backtracks", "max_multiplier_updates_per_step")
        if self.gmres_restart is not None:
            _positive_int(self, "gmres_restart")
