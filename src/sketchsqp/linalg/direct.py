"""Sparse symmetric indefinite (LDL^T) factorization of the KKT matrix, with its inertia.

The matrix factorized is the *regularised* KKT matrix

    K(delta_w, delta_c) = [[B + delta_w I, J^T], [J, -delta_c I]],     delta_c > 0 small,

whose inertia is (n, m, 0) exactly when ``B + delta_w I + J^T J / delta_c`` is positive definite --
a sufficient condition for positive definiteness on null(J) (it is the Cholesky test on
``B + rho J^T J`` with ``rho = 1 / delta_c``, without forming ``J^T J``).  The small ``delta_c``
makes the matrix quasi-definite once ``B`` is, so an LDL^T without pivoting exists for any
fill-reducing ordering; solves of the exact system (``delta_c = 0``, or the caller's rho) are
recovered by iterative refinement.

Backends (well-kept libraries, none hand-written):

* ``"pardiso"`` -- Intel MKL PARDISO through ``pypardiso`` (extra ``pardiso``): supernodal,
  multithreaded, METIS nested-dissection ordering, Bunch-Kaufman pivoting; reports the inertia
  (``iparm[22]``, ``iparm[23]``) without extra work.  The fastest here on large PDE systems.
* ``"qdldl"`` -- QDLDL (the OSQP project's LDL^T, extra ``direct``): AMD ordering, no pivoting,
  single-threaded; the inertia is read from ``D`` (which costs a copy of the factor).
* ``"auto"`` -- PARDISO when importable, else QDLDL; below ``PARDISO_MIN_SIZE`` unknowns QDLDL
  first (PARDISO's set-up dominates there).

SciPy's SuperLU (``spsolve``) is an LU without inertia; it serves as a reference in the
benchmark, not here.
"""

from __future__ import annotations

import dataclasses
import importlib.util

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from ..errors import MissingDependencyError

BACKENDS = ("auto", "pardiso", "qdldl")
DUAL_REGULARIZATION_DEFAULT = 1e-8  # delta_c of the factorized matrix; removed again by iterative refinement


class FactorizationFailed(RuntimeError):
    """The LDL^T factorization broke down (zero pivot): treat as wrong inertia."""


def backend_available(backend: str) -> bool:
    """Whether the Python package behind ``backend`` is installed."""
    if backend == "auto":
        return backend_available("pardiso") or backend_available("qdldl")
    module = {"pardiso": "pypardiso", "qdldl": "qdldl"}[backend]
    return importlib.util.find_spec(module) is not None


PARDISO_MIN_SIZE = 50_000  # "auto" below this size prefers QDLDL: PARDISO's set-up costs more than the factorization


def resolve_backend(backend: str, size: int | None = None) -> str:
    """The installed backend for ``backend``; "auto" picks by availability and matrix size."""
    if backend not in BACKENDS:
        raise ValueError(f"direct backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "auto":
        small = size is not None and size < PARDISO_MIN_SIZE
        order = ("qdldl", "pardiso") if small else ("pardiso", "qdldl")
        for candidate in order:
            if backend_available(candidate):
                return candidate
        raise MissingDependencyError("qdldl", "direct", "the sparse LDL^T KKT solver")
    if not backend_available(backend):
        package, extra = ("pypardiso", "pardiso") if backend == "pardiso" else ("qdldl", "direct")
        raise MissingDependencyError(package, extra, f"the {backend} LDL^T backend")
    return backend


_PARDISO_TEMPLATE = []  # one constructed solver whose located MKL library later solvers share


def _new_pardiso_solver():
    """A fresh PARDISO handle for a real symmetric indefinite matrix (mtype -2).

    pypardiso's constructor searches the file system for the MKL runtime (seconds); the search is
    done once and later solvers are copies of the first with their own handle and parameters.
    """
    import copy

    import pypardiso

    if not _PARDISO_TEMPLATE:
        _PARDISO_TEMPLATE.append(pypardiso.PyPardisoSolver(mtype=-2))
    solver = copy.copy(_PARDISO_TEMPLATE[0])
    solver.pt = np.zeros_like(solver.pt)  # a new internal handle: factorizations do not share memory
    solver.iparm = np.zeros_like(solver.iparm)
    solver.perm = np.zeros(0, dtype=np.int32)
    solver.mtype = -2
    solver.factorized_A = sp.csr_matrix((0, 0))
    return solver


@dataclasses.dataclass
class KKTUpperPattern:
    """Upper triangle of ``K(delta_w, delta_c)`` in CSC with a fixed pattern: only the diagonal moves.

    Every diagonal entry is stored (zero or not), so changing the shifts changes values only and a
    backend can reuse its symbolic analysis.
    """

    matrix: sp.csc_array
    diagonal_positions: np.ndarray  # where diag(K) sits in matrix.data
    hessian_diagonal: np.ndarray  # diag(B) without shift
    n: int
    m: int

    @classmethod
    def build(cls, hessian_block, jacobian) -> "KKTUpperPattern":
        if isinstance(hessian_block, LinearOperator) or isinstance(jacobian, LinearOperator):
            raise TypeError("an LDL^T factorization needs explicit B and J (dense or sparse), not a LinearOperator; "
                            "use an iterative inner solver (minres, gmres, block) for matrix-free problems")
        n, m = hessian_block.shape[0], jacobian.shape[0]
        B = sp.coo_array(hessian_block)
        J = sp.coo_array(jacobian)
        strict = B.row < B.col
        hess_diag = np.asarray(sp.csr_array(hessian_block).diagonal(), dtype=float) if sp.issparse(hessian_block) \
            else np.diag(np.asarray(hessian_block, dtype=float)).copy()
        size = n + m
        diag_index = np.arange(size)
        # Column j of the upper triangle: strict upper part of B, J^T (rows < n, columns >= n), diagonal.
        rows = np.concatenate([B.row[strict], J.col, diag_index])
        cols = np.concatenate([B.col[strict], J.row + n, diag_index])
        data = np.concatenate([B.data[strict], J.data, np.ones(size)])  # diagonal values set below
        upper = sp.csc_array((data, (rows, cols)), shape=(size, size))
        upper.sum_duplicates()
        upper.sort_indices()
        # The diagonal entry of column j is the last stored entry of that column (rows sorted, <= j).
        positions = upper.indptr[1:] - 1
        if not np.array_equal(upper.indices[positions], diag_index):  # pragma: no cover - structural guarantee
            raise AssertionError("diagonal not found where expected in the KKT upper triangle")
        return cls(upper, positions, hess_diag, n, m)

    def with_shifts(self, delta_w: float, delta_c: float) -> sp.csc_array:
        self.matrix.data[self.diagonal_positions] = np.concatenate(
            [self.hessian_diagonal + delta_w, np.full(self.m, -delta_c)])
        return self.matrix


class LDLFactorization:
    """``K(delta_w, delta_c) = P L D L^T P^T`` by one backend; ``solve`` and ``inertia``."""

    def __init__(self, pattern: KKTUpperPattern, delta_w: float, delta_c: float, backend: str = "auto") -> None:
        self.pattern = pattern
        self.delta_w = float(delta_w)
        self.delta_c = float(delta_c)
        self.size = pattern.n + pattern.m
        self.backend = resolve_backend(backend, self.size)
        self._solver = None
        self._inertia: tuple[int, int, int] | None = None
        upper = pattern.with_shifts(self.delta_w, self.delta_c)
        if self.backend == "pardiso":
            self._factor_pardiso(upper)
        else:
            self._factor_qdldl(upper)

    # ------------------------------------------------------------------ backends
    def _factor_qdldl(self, upper: sp.csc_array) -> None:
        import qdldl

        try:
            self._solver = qdldl.Solver(upper, upper=True)
        except RuntimeError as exc:  # zero pivot: not quasi-definite
            raise FactorizationFailed(str(exc)) from exc

    def _factor_pardiso(self, upper: sp.csc_array) -> None:
        import warnings

        import pypardiso

        # PARDISO takes the upper triangle in CSR: the CSR of U is the CSC of U^T, the lower triangle.
        upper_csr = sp.csr_matrix(upper)
        upper_csr.sort_indices()
        solver = _new_pardiso_solver()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for index, value in ((1, 1), (2, 2), (10, 8), (11, 1), (13, 1), (21, 1)):
                # user parameters, METIS, pivot perturbation 1e-8, scaling + matching, Bunch-Kaufman
                solver.set_iparm(index, value)
        self._solver = solver
        self._pardiso_matrix = upper_csr
        try:
            solver.factorize(upper_csr)
        except pypardiso.PyPardisoError as exc:  # pragma: no cover - depends on the matrix
            raise FactorizationFailed(str(exc)) from exc
        positive, negative = int(solver.get_iparm(22)), int(solver.get_iparm(23))
        self._inertia = (positive, negative, self.size - positive - negative)

    # ------------------------------------------------------------------ queries
    def inertia(self) -> tuple[int, int, int]:
        """(positive, negative, zero) eigenvalue counts of the factorized matrix."""
        if self._inertia is None:
            _, d, _ = self._solver.factors()
            self._inertia = (int(np.count_nonzero(d > 0)), int(np.count_nonzero(d < 0)), int(np.count_nonzero(d == 0)))
        return self._inertia

    def has_expected_inertia(self) -> bool:
        return self.inertia() == (self.pattern.n, self.pattern.m, 0)

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        rhs = np.ascontiguousarray(rhs, dtype=float)
        if self.backend == "pardiso":
            return np.asarray(self._solver.solve(self._pardiso_matrix, rhs)).reshape(-1)
        return np.asarray(self._solver.solve(rhs)).reshape(-1)

    def release(self) -> None:
        """Free the backend's memory (PARDISO keeps it outside Python)."""
        if self._solver is not None and self.backend == "pardiso":
            self._solver.free_memory(everything=False)
        self._solver = None

    def __del__(self) -> None:  # PARDISO memory is not garbage-collected with the Python object
        try:
            self.release()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass
