"""Termination statuses shared by every solver in the library (ours and the references)."""

from __future__ import annotations

import enum


class Status(enum.Enum):
    """Why a solve stopped.  Each member carries its integer code and a human message.

    ``success`` is true only for :attr:`CONVERGED`.
    """

    CONVERGED = (0, "KKT residual below the tolerance")
    MAX_ITER = (1, "iteration limit reached")
    TIME_LIMIT = (2, "time limit reached")
    INTERRUPTED = (3, "interrupted by the user (KeyboardInterrupt)")
    LINE_SEARCH_FAILED = (4, "line search failed to find an acceptable step")
    INNER_SOLVER_FAILED = (5, "inner linear solver could not reach the accuracy needed for a descent step")
    PENALTY_SAFEGUARD = (6, "a penalty parameter reached its safeguard without a descent step")
    RANK_DEFICIENT = (7, "constraint Jacobian is rank deficient (LICQ fails) and regularisation did not help")
    INFEASIBLE = (8, "locally infeasible: ||c|| stalls at a positive value while J^T c vanishes")
    NON_FINITE = (9, "a user callable returned NaN or Inf and backtracking could not avoid it")
    CALLBACK_STOP = (10, "the user callback asked to stop")
    CALLABLE_ERROR = (11, "a user callable raised an exception (kept as the result's `exception`)")
    EXTERNAL_FAILURE = (12, "the external reference solver reported a failure")
    NUMERICAL_ERROR = (13, "numerical breakdown in the linear algebra")
    DIVERGED = (14, "the iterates diverge: the problem or a subproblem looks unbounded below")
    IN_PROGRESS = (-1, "the solve is still running (intermediate result passed to a callback)")

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.message = message

    @property
    def success(self) -> bool:
        return self is Status.CONVERGED

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"
