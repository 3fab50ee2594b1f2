"""The one result type returned by every solver of the library, ours and the external references.

Sign convention for multipliers: the Lagrangian is ``L(x, y) = f(x) + y^T c(x)``, so at a KKT
point ``grad f(x) + J(x)^T y = 0``.  (SciPy's ``trust-constr`` reports ``v`` with the same sign;
IPOPT's ``mult_g`` uses the same convention too.)
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .status import Status


@dataclasses.dataclass(frozen=True)
class IterationRecord:
    """One outer iteration k, as shown in the log and stored in ``result.history``.

    The values describe the iterate x_k that iteration k produced (after its line search); the
    starting point x_0 is not a record.  ``inner_iterations``, the penalties and ``step_length`` are
    those used to compute the step of iteration k.
    """

    iteration: int
    fun: float
    constr_norm: float  # ||c(x_k)||_2
    kkt_residual: float  # ||(grad_x L, c)||_2 at x_k
    step_length: float  # alpha accepted by the line search (nan when no step was taken)
    inner_iterations: int
    eta1: float
    eta2: float
    delta: float
    hessian_shift: float = 0.0
    merit: float = float("nan")

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class OptimizeResult:
    """Outcome of a solve.  Field names follow :class:`scipy.optimize.OptimizeResult` where one exists.

    Attributes
    ----------
    x, y : final (or best) primal point and multipliers, ``L = f + y^T c``.
    fun : objective at ``x``.
    kkt_residual : ``||(grad f + J^T y, c)||_2`` at ``(x, y)``, recomputed from the problem.
    optimality : ``||grad f + J^T y||_inf``.
    constr_violation : ``||c(x)||_inf``.
    status : :class:`~sketchsqp.status.Status`; ``success`` is ``status is CONVERGED``.
    nit : outer iterations; nfev, ngev, ncev, njev, nhev : evaluation counts of f, grad f, c, J and
        of the Lagrangian Hessian (a matrix or one Hessian-vector product each).
    inner_iterations : total linear-solver iterations.
    time : wall-clock seconds.
    history : list of :class:`IterationRecord`.
    exception : the user exception behind ``CALLABLE_ERROR`` (else None).
    info : solver-specific extras (penalties, inner-solver work counters, ...).
    """

    x: np.ndarray
    y: np.ndarray
    fun: float
    kkt_residual: float
    optimality: float
    constr_violation: float
    status: Status
    nit: int = 0
    nfev: int = 0
    ngev: int = 0
    ncev: int = 0
    njev: int = 0
    nhev: int = 0
    inner_iterations: int = 0
    time: float = 0.0
    method: str = ""
    problem_name: str = ""
    history: list[IterationRecord] = dataclasses.field(default_factory=list)
    exception: BaseException | None = None
    info: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def success(self) -> bool:
        return self.status.success

    @property
    def message(self) -> str:
        return self.status.message

    @property
    def execution_time(self) -> float:
        return self.time

    @property
    def v(self) -> np.ndarray:
        """SciPy ``trust-constr`` name for the multipliers."""
        return self.y

    def summary(self) -> str:
        return (
            f"{self.method or 'solver'} on {self.problem_name or 'problem'}: {self.status.name} "
            f"({self.message}); nit={self.nit}, f={self.fun:.10g}, KKT={self.kkt_residual:.3e}, "
            f"||c||_inf={self.constr_violation:.3e}, nfev={self.nfev}, njev={self.njev}, "
            f"nhev={self.nhev}, inner={self.inner_iterations}, time={self.time:.3f}s"
        )

    def __repr__(self) -> str:  # short, like SciPy's
        return f"OptimizeResult({self.summary()})"

    def to_record(self) -> dict[str, Any]:
        """A JSON-serialisable summary (no history arrays beyond plain lists)."""
        return {
            "method": self.method,
            "problem": self.problem_name,
            "status": self.status.name,
            "success": self.success,
            "fun": _finite_or_none(self.fun),
            "kkt_residual": _finite_or_none(self.kkt_residual),
            "optimality": _finite_or_none(self.optimality),
            "constr_violation": _finite_or_none(self.constr_violation),
            "nit": self.nit,
            "nfev": self.nfev,
            "ngev": self.ngev,
            "ncev": self.ncev,
            "njev": self.njev,
            "nhev": self.nhev,
            "inner_iterations": self.inner_iterations,
            "time": self.time,
            "kkt_history": [_finite_or_none(h.kkt_residual) for h in self.history],
        }


def _finite_or_none(value: float) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None
