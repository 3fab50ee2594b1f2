"""The generic driver: one loop that owns the limits, faults, callbacks, timing and the result.

A method speaks a small protocol (``init -> step``, plus ``record``/``terminate``); the driver
turns every way a run can end into a :class:`~sketchsqp.status.Status` and always returns the best
iterate found -- the one with the smallest KKT residual -- when the run did not converge.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Callable, Protocol

import numpy as np

from ..errors import EvaluationError, NonFiniteValueError, UserCallableError
from ..problem import PointEvaluation, Problem, least_squares_multipliers
from ..result import IterationRecord, OptimizeResult
from ..status import Status
from .log import IterationLog
from .options import DriverOptions


class StepFailure(Exception):
    """Raised by a method's ``step`` when it cannot continue; carries the status to report."""

    def __init__(self, status: Status, detail: str = "") -> None:
        super().__init__(detail or status.message)
        self.status = status
        self.detail = detail


class MethodState(Protocol):
    point: PointEvaluation
    inner_iterations: int


class IterativeMethod(Protocol):
    name: str

    def init(self, problem: Problem, point: PointEvaluation, rng: np.random.Generator) -> Any: ...

    def step(self, problem: Problem, state: Any, deadline: float) -> Any: ...

    def record(self, state: Any, iteration: int) -> IterationRecord: ...

    def terminate(self, state: Any) -> Status | None: ...

    def info(self, state: Any) -> dict[str, Any]: ...


Callback = Callable[[OptimizeResult], Any]


# Exceptions that end a run with a status instead of escaping: Ctrl-C and failures of the user's
# callables (every solver, ours and the external references), and numerical failures inside our
# own iterations.
RUN_ENDING_EXCEPTIONS = (KeyboardInterrupt, EvaluationError)
NUMERICAL_EXCEPTIONS = (np.linalg.LinAlgError, ArithmeticError, ValueError, RuntimeError)


def status_of_exception(exc: BaseException) -> tuple[Status, BaseException | None, str]:
    """(status, exception to keep in the result, detail) for an exception that ended a run."""
    if isinstance(exc, KeyboardInterrupt):
        return Status.INTERRUPTED, None, ""
    if isinstance(exc, UserCallableError):
        return Status.CALLABLE_ERROR, exc.original, str(exc)  # the user's own exception
    if isinstance(exc, NonFiniteValueError):
        return Status.NON_FINITE, exc, str(exc)
    if isinstance(exc, EvaluationError):
        return Status.CALLABLE_ERROR, exc, str(exc)
    return Status.NUMERICAL_ERROR, exc, f"{type(exc).__name__}: {exc}"


@dataclasses.dataclass(frozen=True, kw_only=True)
class OuterState:
    """What every outer loop keeps: the current point and the bookkeeping of its last step, which
    the log and the history show.  Each method's state extends it with its own parameters."""

    point: PointEvaluation
    inner_iterations: int = 0  # all inner (linear-solver) iterations so far
    last_inner: int = 0  # those of the last step
    last_step_length: float = float("nan")
    last_shift: float = 0.0  # Hessian shift of the last step
    last_merit: float = float("nan")

    def record(self, iteration: int, *, eta1: float, eta2: float, delta: float) -> IterationRecord:
        """The log/history record of this state after ``iteration``; ``eta1, eta2, delta`` are the
        method's penalty and accuracy columns."""
        p = self.point
        return IterationRecord(iteration=iteration, fun=p.f, constr_norm=p.constr_norm, kkt_residual=p.kkt_residual,
                               step_length=self.last_step_length, inner_iterations=self.last_inner,
                               eta1=eta1, eta2=eta2, delta=delta, hessian_shift=self.last_shift,
                               merit=self.last_merit)


@dataclasses.dataclass
class _Best:
    point: PointEvaluation | None = None
    kkt: float = float("inf")

    def offer(self, point: PointEvaluation) -> None:
        kkt = point.kkt_residual
        if kkt < self.kkt:
            self.point, self.kkt = point, kkt


def run(method: IterativeMethod, problem: Problem, options: DriverOptions, *, rng: np.random.Generator,
        callback: Callback | None = None, evaluate: Callable[[Problem, np.ndarray, np.ndarray], PointEvaluation]) -> OptimizeResult:
    """Run ``method`` on ``problem`` from ``(problem.x0, problem.y0)``."""
    log = IterationLog(options.verbose)
    log.header(method.name, problem)
    start = time.perf_counter()
    deadline = start + options.time_limit
    counts_before = problem.counts.snapshot()
    history: list[IterationRecord] = []
    best = _Best()
    state = None
    status: Status | None = None
    exception: BaseException | None = None
    detail = ""
    iteration = 0
    try:
        point = evaluate(problem, problem.x0.copy(), problem.y0.copy())
        if options.initial_multipliers == "least-squares" and problem.m:
            y0 = least_squares_multipliers(point.g, point.jac)
            point = dataclasses.replace(point, y=y0, grad_lagrangian=problem.lagrangian_gradient(point.g, point.jac, y0))
        best.offer(point)
        state = method.init(problem, point, rng)
        while True:
            point = state.point
            best.offer(point)
            if point.kkt_residual <= options.tol:
                status = Status.CONVERGED
                break
            status = method.terminate(state)
            if status is not None:
                break
            if iteration >= options.max_iter:
                status = Status.MAX_ITER
                break
            if time.perf_counter() >= deadline:
                status = Status.TIME_LIMIT
                break
            state = method.step(problem, state, deadline)
            iteration += 1
            record = method.record(state, iteration)
            history.append(record)
            log.iteration(record)
            if callback is not None and _callback_says_stop(callback, state.point, iteration, start, problem, method.name):
                best.offer(state.point)
                status = Status.CALLBACK_STOP
                break
    except StepFailure as failure:
        status, detail = failure.status, failure.detail
    except (*RUN_ENDING_EXCEPTIONS, *NUMERICAL_EXCEPTIONS) as exc:
        status, exception, detail = status_of_exception(exc)
    if state is not None and status in _RECLASSIFIABLE and stationary_infeasible(state.point, options):
        detail = f"{status.name}: {detail}" if detail else status.name
        status = Status.INFEASIBLE
    elapsed = time.perf_counter() - start
    chosen = best.point
    if status is Status.CONVERGED and state is not None:
        chosen = state.point
    counts = problem.counts.since(counts_before)
    info: dict[str, Any] = {"detail": detail} if detail else {}
    if state is not None:
        info.update(method.info(state))
        info["last_x"] = state.point.x
        info["last_y"] = state.point.y
    if chosen is None:  # nothing could be evaluated: report x0 with unknown values
        x, y = problem.x0.copy(), problem.y0.copy()
        fun = kkt = opt = viol = float("nan")
    else:
        x, y = chosen.x, chosen.y
        fun, kkt = chosen.f, chosen.kkt_residual
        opt = float(np.max(np.abs(chosen.grad_lagrangian))) if chosen.grad_lagrangian.size else 0.0
        viol = float(np.max(np.abs(chosen.c))) if chosen.c.size else 0.0
    result = OptimizeResult(
        x=x, y=y, fun=fun, kkt_residual=kkt, optimality=opt, constr_violation=viol, status=status,
        nit=iteration, nfev=counts.nfev, ngev=counts.ngev, ncev=counts.ncev, njev=counts.njev, nhev=counts.nhev,
        inner_iterations=getattr(state, "inner_iterations", 0) if state is not None else 0,
        time=elapsed, method=method.name, problem_name=problem.name, history=history,
        exception=exception, info=info,
    )
    log.summary(result)
    if options.reraise and status is Status.CALLABLE_ERROR and exception is not None:
        raise exception
    return result


# Failures that, at a point where ||c|| cannot be reduced to first order, mean local infeasibility.
_RECLASSIFIABLE = (Status.LINE_SEARCH_FAILED, Status.RANK_DEFICIENT, Status.PENALTY_SAFEGUARD,
                   Status.INNER_SOLVER_FAILED, Status.MAX_ITER)


def stationary_infeasible(point: PointEvaluation, options: DriverOptions) -> bool:
    """||c|| > tol while ||J^T c|| <= infeasibility_tol ||c||: a stationary point of ||c||^2 that is not feasible."""
    c_norm = point.constr_norm
    if c_norm <= options.tol:
        return False
    return float(np.linalg.norm(point.jac_rmatvec(point.c))) <= options.infeasibility_tol * c_norm


def _callback_says_stop(callback: Callback, point: PointEvaluation, iteration: int, start: float,
                        problem: Problem, method_name: str) -> bool:
    """Call the user callback with the current iterate; True or StopIteration asks to stop.

    KeyboardInterrupt raised in the callback propagates to the driver (INTERRUPTED); any other
    exception from the callback is a CALLABLE_ERROR.
    """
    intermediate = OptimizeResult(
        x=point.x.copy(), y=point.y.copy(), fun=point.f, kkt_residual=point.kkt_residual,
        optimality=float(np.max(np.abs(point.grad_lagrangian))) if point.grad_lagrangian.size else 0.0,
        constr_violation=float(np.max(np.abs(point.c))) if point.c.size else 0.0,
        status=Status.IN_PROGRESS, nit=iteration, time=time.perf_counter() - start,
        method=method_name, problem_name=problem.name,
    )
    try:
        answer = callback(intermediate)
    except StopIteration:
        return True
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        raise UserCallableError("callback", exc) from exc
    return answer is True
