"""IPOPT (through cyipopt) as a reference solver behind the library's result type.

The problem ``min f(x) s.t. c(x) = 0`` is handed to IPOPT as ``cl = cu = 0`` without bounds, with
the problem's own Jacobian (its sparsity structure when it is sparse) and the exact Lagrangian
Hessian ``problem.hess(x, y)`` (lower triangle; sparse structure when sparse).  When the problem
can only apply its Hessian as a LinearOperator, IPOPT runs its limited-memory quasi-Newton mode
(``hessian_approximation = limited-memory``) and ``result.info["hessian"]`` says so.

Convergence.  IPOPT stops on its own criteria: a scaled overall error below ``tol`` together with
the unscaled ``||grad f + J^T y||_inf <= dual_inf_tol`` and ``||c||_inf <= constr_viol_tol``.  All
three are set to ``tol / sqrt(n + m)``: max-norms that small guarantee the library's criterion
``||(grad f + J^T y, c)||_2 <= tol``.  IPOPT's "acceptable level" early exit is switched off
(``acceptable_iter = 0``).  The verdict is then the library's own: the KKT residual is recomputed
from the problem at the returned ``(x, y)`` and the run is CONVERGED only when it is at most
``tol`` (see :mod:`.kkt`); an IPOPT success that misses it is reported as EXTERNAL_FAILURE.

Multipliers: IPOPT's Lagrangian is ``f + g^T lambda``, so ``mult_g`` is already ``y`` of
``L = f + y^T c`` (``grad f + J^T mult_g = 0`` at a solution; the tests check it).  IPOPT picks its
own starting multipliers (a least-squares estimate), so ``problem.y0`` is not used.

Set-up evaluations (the check at x0 and the probes that find the sparsity patterns) and the final
recomputation are not charged: ``nfev``, ``njev``, ``nhev``, ... count IPOPT's own requests.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any, Callable

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from ...errors import (EvaluationError, NonFiniteValueError, OptionsError, ProblemDefinitionError,
                       require)
from ...problem import Problem
from ...result import OptimizeResult
from ...status import Status
from ..driver import RUN_ENDING_EXCEPTIONS, status_of_exception
from ..options import DriverOptions, _check
from .kkt import StopRequested, check_user_callback, fitted_multipliers, uncharged, verified_result

METHOD_NAME = "ipopt"
LIMITED_MEMORY_NOTE = "limited-memory quasi-Newton (problem.hess is a LinearOperator, IPOPT needs matrix entries)"
# IPOPT's ApplicationReturnStatus codes -> (name, what it means for the library).  A claimed
# success is checked against the recomputed KKT residual before it is reported as CONVERGED.
IPOPT_STATUSES: dict[int, tuple[str, Status]] = {
    0: ("Solve_Succeeded", Status.CONVERGED),
    1: ("Solved_To_Acceptable_Level", Status.CONVERGED),
    2: ("Infeasible_Problem_Detected", Status.INFEASIBLE),
    3: ("Search_Direction_Becomes_Too_Small", Status.EXTERNAL_FAILURE),
    4: ("Diverging_Iterates", Status.EXTERNAL_FAILURE),
    5: ("User_Requested_Stop", Status.CALLBACK_STOP),
    6: ("Feasible_Point_Found", Status.CONVERGED),
    -1: ("Maximum_Iterations_Exceeded", Status.MAX_ITER),
    -2: ("Restoration_Failed", Status.EXTERNAL_FAILURE),
    -3: ("Error_In_Step_Computation", Status.NUMERICAL_ERROR),
    -4: ("Maximum_CpuTime_Exceeded", Status.TIME_LIMIT),
    -5: ("Maximum_WallTime_Exceeded", Status.TIME_LIMIT),
    -10: ("Not_Enough_Degrees_Of_Freedom", Status.EXTERNAL_FAILURE),
    -11: ("Invalid_Problem_Definition", Status.EXTERNAL_FAILURE),
    -12: ("Invalid_Option", Status.EXTERNAL_FAILURE),
    -13: ("Invalid_Number_Detected", Status.NON_FINITE),
    -100: ("Unrecoverable_Exception", Status.EXTERNAL_FAILURE),
    -101: ("NonIpopt_Exception_Thrown", Status.EXTERNAL_FAILURE),
    -102: ("Insufficient_Memory", Status.EXTERNAL_FAILURE),
    -199: ("Internal_Error", Status.EXTERNAL_FAILURE),
}
WALL_TIME_OPTION_SINCE = (3, 14, 0)  # max_wall_time exists from Ipopt 3.14; older builds only have max_cpu_time
PATTERN_PROBE_SEED = 20230518  # fixed: the probes that find sparsity patterns are reproducible


@dataclasses.dataclass(frozen=True)
class IpoptOptions(DriverOptions):
    """Options of the IPOPT reference.

    tol : target for the recomputed KKT residual ``||(grad f + J^T y, c)||_2`` (sets IPOPT's tol,
        dual_inf_tol and constr_viol_tol to ``tol / sqrt(n + m)``).
    max_iter : IPOPT's ``max_iter``.
    time_limit : seconds; IPOPT's ``max_cpu_time`` (and ``max_wall_time`` where the build has it),
        plus a wall-clock check between iterations.
    print_level : IPOPT's output level, 0 (silent, the default) to 12; ``verbose=True`` means 5.
    ipopt_options : raw IPOPT options, applied last (they override everything above).
    """

    print_level: int = 0
    ipopt_options: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        _check(isinstance(self.print_level, int) and not isinstance(self.print_level, bool)
               and 0 <= self.print_level <= 12, "print_level", self.print_level, "an integer in [0, 12]")
        _check(isinstance(self.ipopt_options, dict) and all(isinstance(k, str) for k in self.ipopt_options),
               "ipopt_options", self.ipopt_options, "a dict with string keys")
        for key, value in self.ipopt_options.items():
            _check(isinstance(value, (str, int, float)) and not isinstance(value, bool), f"ipopt_options[{key!r}]",
                   value, "a string, integer or float")

    @property
    def effective_print_level(self) -> int:
        return 5 if self.verbose and self.print_level == 0 else self.print_level


class SparsityPattern:
    """A fixed list of (row, col) positions and the values of a matrix at them, as IPOPT wants.

    IPOPT fixes the structure once; a later matrix with a nonzero outside it is a modelling error
    (return explicit zeros, or a dense matrix) and raises :class:`ProblemDefinitionError`.
    """

    def __init__(self, rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int], *, lower: bool, label: str) -> None:
        order = np.lexsort((cols, rows))
        self.rows = np.asarray(rows, dtype=np.int64)[order]
        self.cols = np.asarray(cols, dtype=np.int64)[order]
        self.shape = shape
        self.lower = lower  # symmetric matrix: only row >= col is kept
        self.label = label
        self._keys = self.rows * shape[1] + self.cols  # sorted, since (rows, cols) are sorted lexicographically

    @classmethod
    def dense(cls, shape: tuple[int, int], *, lower: bool, label: str) -> "SparsityPattern":
        rows, cols = np.tril_indices(shape[0]) if lower else np.indices(shape).reshape(2, -1)
        return cls(rows, cols, shape, lower=lower, label=label)

    @classmethod
    def of_matrices(cls, matrices: list, shape: tuple[int, int], *, lower: bool, label: str) -> "SparsityPattern":
        """The union of the stored-entry patterns of several sparse matrices."""
        keys = [np.zeros(0, dtype=np.int64)]
        for mat in matrices:
            coo = sp.coo_array(mat)
            keys.append(coo.row.astype(np.int64) * shape[1] + coo.col.astype(np.int64))
        rows, cols = np.divmod(np.unique(np.concatenate(keys)), shape[1])
        if lower:
            keep = rows >= cols
            rows, cols = rows[keep], cols[keep]
        return cls(rows, cols, shape, lower=lower, label=label)

    @property
    def nnz(self) -> int:
        return int(self.rows.size)

    def values(self, matrix) -> np.ndarray:
        if not sp.issparse(matrix):
            return np.asarray(matrix, dtype=float)[self.rows, self.cols]
        csr = sp.csr_array(matrix)
        if not csr.has_canonical_format:  # sorted indices, no duplicates; on a copy, the caller's stays untouched
            csr = csr.copy()
            csr.sum_duplicates()
        rows = np.repeat(np.arange(self.shape[0], dtype=np.int64), np.diff(csr.indptr))
        cols, data = csr.indices.astype(np.int64), np.asarray(csr.data, dtype=float)
        if self.lower:
            keep = rows >= cols
            rows, cols, data = rows[keep], cols[keep], data[keep]
        keys = rows * self.shape[1] + cols
        if np.array_equal(keys, self._keys):  # the usual case: exactly the pattern, in the same (row-major) order
            return data.copy()
        if self._keys.size:
            where = np.minimum(np.searchsorted(self._keys, keys), self._keys.size - 1)
            inside = self._keys[where] == keys
        else:
            where, inside = np.zeros(keys.size, dtype=np.int64), np.zeros(keys.size, dtype=bool)
        if np.any(data[~inside] != 0):
            bad = int(np.flatnonzero(~inside & (data != 0))[0])
            raise ProblemDefinitionError(
                f"the {self.label} has a nonzero at ({rows[bad]}, {cols[bad]}) outside the sparsity pattern found "
                "at the starting point; IPOPT needs a fixed pattern: keep explicit zeros in the returned sparse "
                "matrix (or return a dense one)"
            )
        out = np.zeros(self.nnz)
        out[where[inside]] = data[inside]
        return out


def _jacobian_pattern(problem: Problem) -> SparsityPattern:
    """Dense, or the union of the patterns at x0 and at a nearby point (so a zero that happens at x0 is kept)."""
    shape = (problem.m, problem.n)
    if problem.m == 0:
        return SparsityPattern(np.zeros(0, np.int64), np.zeros(0, np.int64), shape, lower=False, label="Jacobian")
    jac0 = problem.jac(problem.x0)
    if isinstance(jac0, LinearOperator):
        raise ProblemDefinitionError(
            "IPOPT needs an explicit constraint Jacobian (ndarray or scipy.sparse); this problem's jac returns a "
            "LinearOperator"
        )
    if not sp.issparse(jac0):
        return SparsityPattern.dense(shape, lower=False, label="Jacobian")
    matrices = [jac0]
    for point in _probe_points(problem.x0):
        try:
            matrices.append(problem.jac(point))
        except EvaluationError:
            pass  # the probes are a refinement only
    return SparsityPattern.of_matrices([m for m in matrices if sp.issparse(m)], shape, lower=False, label="Jacobian")


def _hessian_pattern(problem: Problem) -> SparsityPattern | None:
    """The Lagrangian Hessian's lower-triangle pattern, or None when it is only a LinearOperator.

    A sparse sum ``hess f + sum y_i hess c_i`` drops the constraint terms where ``y_i = 0``, so the
    pattern is the union over the starting multipliers, all-ones and random multipliers.
    """
    shape = (problem.n, problem.n)
    hess0 = problem.hess(problem.x0, problem.y0)
    if isinstance(hess0, LinearOperator):
        return None
    if not sp.issparse(hess0):
        return SparsityPattern.dense(shape, lower=True, label="Lagrangian Hessian")
    rng = np.random.default_rng(PATTERN_PROBE_SEED)
    matrices = [hess0]
    for point in (problem.x0, *_probe_points(problem.x0)):
        for y in (np.ones(problem.m), rng.standard_normal(problem.m)):
            try:
                matrices.append(problem.hess(point, y))
            except EvaluationError:
                pass
    return SparsityPattern.of_matrices([m for m in matrices if sp.issparse(m)], shape, lower=True,
                                       label="Lagrangian Hessian")


def _probe_points(x: np.ndarray) -> list[np.ndarray]:
    """Points near and away from x0 whose sparse patterns are added to x0's: a problem that stores
    only the nonzeros (S2MPJ does) has entries that vanish at x0 and appear later."""
    rng = np.random.default_rng(PATTERN_PROBE_SEED)
    scale = 1.0 + np.abs(x)
    return [x + factor * scale * rng.standard_normal(x.shape) for factor in (1e-3, 0.5, 0.5)]


class _IpoptCallbacks:
    """The object cyipopt calls back.  Evaluations go through the problem (counted, checked).

    A non-finite value is handed to IPOPT as NaN, which its line search treats as an evaluation
    failure and backtracks from.  Any other exception is kept by cyipopt, stops the run at the next
    iteration and is raised again by ``solve``.
    """

    def __init__(self, problem: Problem, jac_pattern: SparsityPattern, hess_pattern: SparsityPattern | None,
                 deadline: float, iteration_hook: Callable[[int], None]) -> None:
        self.problem = problem
        self.jac_pattern = jac_pattern
        self.hess_pattern = hess_pattern
        self.deadline = deadline
        self.iteration_hook = iteration_hook
        self.nit = 0
        self.last_x = problem.x0.copy()  # last point where IPOPT asked for grad f: its current iterate
        self.stop: StopRequested | None = None
        self.non_finite: NonFiniteValueError | None = None
        if hess_pattern is not None:
            self.hessian = self._hessian
            self.hessianstructure = self._hessianstructure

    def _nan_on_non_finite(self, evaluate: Callable[[], Any], size: int | None) -> Any:
        try:
            return evaluate()
        except NonFiniteValueError as exc:
            self.non_finite = exc
            return float("nan") if size is None else np.full(size, np.nan)

    def objective(self, x):
        return self._nan_on_non_finite(lambda: self.problem.fun(x), None)

    def gradient(self, x):
        self.last_x = x.copy()
        return self._nan_on_non_finite(lambda: self.problem.grad(x), self.problem.n)

    def constraints(self, x):
        return self._nan_on_non_finite(lambda: self.problem.cons(x), self.problem.m)

    def jacobian(self, x):
        return self._nan_on_non_finite(lambda: self.jac_pattern.values(self.problem.jac(x)), self.jac_pattern.nnz)

    def jacobianstructure(self):
        return self.jac_pattern.rows, self.jac_pattern.cols

    def _hessian(self, x, lagrange, obj_factor):
        def evaluate():
            if obj_factor != 0.0:  # sigma hess f + sum lambda_i hess c_i = sigma * hess L(x, lambda / sigma)
                return obj_factor * self.hess_pattern.values(self.problem.hess(x, lagrange / obj_factor))
            with_f = self.hess_pattern.values(self.problem.hess(x, lagrange))
            return with_f - self.hess_pattern.values(self.problem.hess(x, np.zeros_like(lagrange)))

        return self._nan_on_non_finite(evaluate, self.hess_pattern.nnz)

    def _hessianstructure(self):
        return self.hess_pattern.rows, self.hess_pattern.cols

    def intermediate(self, alg_mod, iter_count, obj_value, inf_pr, inf_du, mu, d_norm, regularization_size,
                     alpha_du, alpha_pr, ls_trials):
        self.nit = int(iter_count)
        try:
            if iter_count > 0:
                self.iteration_hook(self.nit)
            if time.perf_counter() >= self.deadline:
                raise StopRequested(Status.TIME_LIMIT)
        except StopRequested as stop:
            self.stop = stop
            return False
        return True


def _add_option(nlp, key: str, value) -> None:
    try:
        nlp.add_option(key, value)
    except TypeError as exc:
        # IPOPT types its options: an integer given for a real-valued option is retried as a float.
        if isinstance(value, int):
            try:
                nlp.add_option(key, float(value))
                return
            except TypeError:
                pass
        raise OptionsError(f"IPOPT rejected the option {key!r} = {value!r}") from exc


def _ipopt_settings(problem: Problem, options: IpoptOptions, limited_memory: bool, version: tuple) -> dict[str, Any]:
    scaled_tol = options.tol / math.sqrt(problem.n + problem.m)
    settings: dict[str, Any] = {
        "print_level": options.effective_print_level,
        "sb": "yes",  # no banner
        "tol": scaled_tol,
        "dual_inf_tol": scaled_tol,
        "constr_viol_tol": scaled_tol,
        "acceptable_iter": 0,  # no early exit at the looser "acceptable" level
        "max_iter": options.max_iter,
        "hessian_approximation": "limited-memory" if limited_memory else "exact",
    }
    if math.isfinite(options.time_limit):
        settings["max_cpu_time"] = float(options.time_limit)
        if tuple(version) >= WALL_TIME_OPTION_SINCE:
            settings["max_wall_time"] = float(options.time_limit)
    settings.update(options.ipopt_options)
    return settings


def solve_ipopt(problem: Problem, options: IpoptOptions | dict[str, Any] | None = None, *,
                callback: Callable[[OptimizeResult], Any] | None = None) -> OptimizeResult:
    """Solve ``problem`` with IPOPT from ``problem.x0`` (IPOPT picks its own starting multipliers).

    Parameters
    ----------
    problem : the :class:`~sketchsqp.problem.Problem`; its Jacobian must be a matrix (dense or sparse).
    options : :class:`IpoptOptions` or a dict of its fields (``tol``, ``max_iter``, ``time_limit``,
        ``print_level``, ``ipopt_options``, ...).
    callback : called after every IPOPT iteration with an intermediate result at the current
        iterate (least-squares multipliers); returning True or raising StopIteration stops the run.

    Returns
    -------
    OptimizeResult with IPOPT's ``x`` and ``mult_g`` as ``y`` (``L = f + y^T c``), the KKT quantities
    recomputed from the problem, ``nit`` = IPOPT iterations and the problem's evaluation counts.
    ``info`` holds IPOPT's own status (``external_status``), the Hessian mode and the versions.

    Raises
    ------
    MissingDependencyError : cyipopt is not installed (``pip install 'sketchsqp[ipopt]'``).
    ProblemDefinitionError : a LinearOperator Jacobian, or a sparsity pattern that changes.
    OptionsError : an invalid option, or one IPOPT rejects.
    """
    cyipopt = require("cyipopt", "ipopt", "The IPOPT reference solver")
    if not isinstance(options, IpoptOptions):
        options = IpoptOptions.from_mapping(options)
    start = time.perf_counter()
    problem.check_at(problem.x0)
    # Finding the structures evaluates J and H a few times at x0: set-up, not IPOPT's work.
    jac_pattern = uncharged(problem, lambda: _jacobian_pattern(problem))
    hess_pattern = uncharged(problem, lambda: _hessian_pattern(problem))
    limited_memory = hess_pattern is None
    version = tuple(getattr(cyipopt, "IPOPT_VERSION", (0, 0, 0)))

    def on_iteration(nit: int) -> None:
        if callback is not None:
            x = callbacks.last_x
            check_user_callback(callback, problem, x=x, y=fitted_multipliers(problem, x), nit=nit, start=start,
                                method=METHOD_NAME)

    callbacks = _IpoptCallbacks(problem, jac_pattern, hess_pattern, start + options.time_limit, on_iteration)
    nlp = cyipopt.Problem(n=problem.n, m=problem.m, problem_obj=callbacks, lb=None, ub=None,
                          cl=np.zeros(problem.m), cu=np.zeros(problem.m))
    settings = _ipopt_settings(problem, options, limited_memory, version)
    for key, value in settings.items():
        _add_option(nlp, key, value)

    counts_before = problem.counts.snapshot()
    exception: BaseException | None = None
    detail = ""
    ipopt_info: dict[str, Any] | None = None
    try:
        _, ipopt_info = nlp.solve(problem.x0.copy())
    except RUN_ENDING_EXCEPTIONS as exc:
        claimed, exception, detail = status_of_exception(exc)
    finally:
        nlp.close()
    elapsed = time.perf_counter() - start
    counts = problem.counts.since(counts_before)

    info: dict[str, Any] = {
        "hessian": LIMITED_MEMORY_NOTE if limited_memory else "exact",
        "ipopt_version": ".".join(map(str, version)),
        "cyipopt_version": getattr(cyipopt, "__version__", "unknown"),
        "ipopt_tol": settings["tol"],
        "jacobian_nnz": jac_pattern.nnz,
        "hessian_nnz": 0 if hess_pattern is None else hess_pattern.nnz,
    }
    if ipopt_info is not None:
        code = int(ipopt_info["status"])
        name, claimed = IPOPT_STATUSES.get(code, (f"unknown status {code}", Status.EXTERNAL_FAILURE))
        message = ipopt_info.get("status_msg", b"")
        info.update(external_status=name, external_code=code,
                    external_message=message.decode() if isinstance(message, bytes) else str(message))
        if code == 5 and callbacks.stop is not None:  # the stop was ours: time limit or user callback
            claimed = callbacks.stop.status
        if claimed is Status.NON_FINITE and callbacks.non_finite is not None:
            exception, detail = callbacks.non_finite, str(callbacks.non_finite)
        x, y = np.asarray(ipopt_info["x"], dtype=float), np.asarray(ipopt_info["mult_g"], dtype=float)
    else:
        x = callbacks.last_x
        y = fitted_multipliers(problem, x)
        info["multipliers"] = "least squares at x (IPOPT's were lost with the interrupted run)"
    if detail:
        info["detail"] = detail
    return verified_result(problem, x=x, y=y, claimed=claimed, tol=options.tol, counts=counts, nit=callbacks.nit,
                           elapsed=elapsed, method=METHOD_NAME, info=info, exception=exception)


__all__ = ["IPOPT_STATUSES", "IpoptOptions", "SparsityPattern", "solve_ipopt"]
