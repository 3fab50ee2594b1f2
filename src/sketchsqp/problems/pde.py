"""PDE-constrained optimal control on a square: the paper's experiment 3, at any grid size.

The problem (Hong, Na, Mahoney, Kolar, ICML 2023, experiment 3) is the discretised control problem

    minimise    1/2 ||w - w_target||^2 + (0.1/2) ||u||^2
    subject to  Laplace_h w + u = 0                                   (variant "linear", the paper's)
                Laplace_h w - w**3 + u = 0                            (variant "semilinear")

on an N x N grid of interior points with zero Dirichlet boundary values.  ``Laplace_h`` is the
five-point stencil ``(w_N + w_S + w_W + w_E - 4 w_C) / h^2`` with the paper's spacing
``h = 2 / (N + 1)`` (the interior points of ``[0, 2]^2``; the paper calls it the unit square, but
its code uses this spacing, and so do we).  The target is

    w_target(i, j) = sin(4 + (0.1 / sqrt 15) (i - (N + 1)/2)) + cos(3 + (0.1 / sqrt 15) (j - (N + 1)/2)),

for ``i, j = 1..N``.

Variable layout
---------------
``x = (w, u)`` with ``n = 2 N^2``: first the state ``w``, then the control ``u``, each an N x N grid
flattened row-major, so grid point ``(i, j)`` (1-based) is ``w[(i - 1) N + (j - 1)]`` and
``u[(i - 1) N + (j - 1)]``.  Constraint ``k`` (``m = N^2``) is the state equation at the grid point
with the same flat index.  The authors' prototype stores the grids column-major (Julia's
``reshape``); since the five-point stencil is symmetric under transposing the grid, the two
layouts describe the same problem up to the transposition permutation of ``w``, ``u`` and ``c``.

Derivatives
-----------
``grad f = (w - w_target, 0.1 u)``, Jacobian ``J = [Laplace_h - 3 diag(w^2), I]`` (the ``3 diag(w^2)``
term only in the semilinear variant) and Lagrangian Hessian ``diag(1 - 6 y w, 0.1)`` (the ``6 y w``
term only in the semilinear variant; ``L = f + y^T c``).  Every matrix is scipy.sparse CSR, built in
O(N^2) time and memory.  Matrices that do not change with ``x`` are built once and shared between
calls; their arrays are marked read-only, so an in-place change raises instead of corrupting the
problem.

The semilinear variant
----------------------
The state equation ``-Delta w + w^3 = u`` is the classical semilinear elliptic control problem
(F. Troeltzsch, *Optimal Control of Partial Differential Equations*, AMS 2010, chapter 4): the
reaction term is monotone, so every control has exactly one state and the state block
``Laplace_h - 3 diag(w^2)`` of ``J`` is negative definite at every ``w``.  The constraints are
nonlinear, so Newton's method needs several steps (about ten from the paper's start, for grids from
3 x 3 to 64 x 64), and the problem is nonconvex: at the all-ones start the Hessian block
``1 - 6 y w`` is ``-5``, which exercises Hessian modification.  The opposite sign,
``Laplace_h w + w^3 + u = 0``, is not used: near the target (``w`` about -1.75) its state block
``Laplace_h + 3 diag(w^2)`` is indefinite (``3 w^2`` exceeds the smallest eigenvalue of
``-Laplace_h``, about 4.9), the state equation is no longer uniquely solvable, and undamped Newton
iterations wander or diverge.  For either problem the identity block of ``J`` in ``u`` gives ``J``
full row rank at every ``x`` (smallest singular value at least 1), and a global minimiser exists
(``f`` is coercive and every ``w`` has a feasible control).
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import scipy.sparse as sp

from ..errors import ProblemDefinitionError
from ..problem import Problem
from ..problem.validation import as_start_vector

#: Weight of the control cost, ``(CONTROL_WEIGHT / 2) ||u||^2`` (paper, experiment 3).
CONTROL_WEIGHT = 0.1
#: Slope of the target's arguments, ``0.1 / sqrt(15)`` (paper, experiment 3).
TARGET_SLOPE = 0.1 / np.sqrt(15.0)
VARIANTS = ("linear", "semilinear")
#: Grid sizes listed by :func:`pde_names`: the paper's 3 x 3 grid up to 2.1 million variables.
DEFAULT_GRID_SIZES = (3, 10, 32, 100, 256, 1024)

_NAME_PATTERN = re.compile(r"^pde-(?:(?P<variant>linear|semilinear)-)?(?P<size>[0-9]+)$")


def grid_spacing(N: int) -> float:
    """The paper's mesh width ``h = 2 / (N + 1)``."""
    return 2.0 / (N + 1)


def five_point_laplacian(N: int) -> sp.csr_array:
    """The five-point Laplacian ``Laplace_h`` on the N x N interior grid, zero Dirichlet boundary.

    Row-major grid ordering; entries ``-4/h^2`` on the diagonal and ``1/h^2`` for each of the (up
    to four) grid neighbours, ``h = 2 / (N + 1)``.  Built as the Kronecker sum
    ``I (x) T + T (x) I`` of the 1-D second-difference matrix ``T = tridiag(1, -2, 1) / h^2``.
    """
    N = _checked_grid_size(N)
    inv_h2 = 1.0 / grid_spacing(N) ** 2
    off = np.full(N - 1, inv_h2)
    second_difference = sp.diags_array([off, np.full(N, -2.0 * inv_h2), off], offsets=[-1, 0, 1], format="csr")
    identity = sp.identity(N, format="csr")
    laplacian = sp.kron(identity, second_difference, format="csr") + sp.kron(second_difference, identity, format="csr")
    return sp.csr_array(laplacian)


def target_state(N: int) -> np.ndarray:
    """``w_target`` flattened row-major, shape ``(N^2,)``."""
    N = _checked_grid_size(N)
    centred = np.arange(1, N + 1, dtype=float) - (N + 1) / 2.0
    rows = np.sin(4.0 + TARGET_SLOPE * centred)  # depends on i only
    cols = np.cos(3.0 + TARGET_SLOPE * centred)  # depends on j only
    return np.add.outer(rows, cols).reshape(-1)


@dataclasses.dataclass(frozen=True)
class _PDEControl:
    """Evaluations of the control problem; the shared matrices are read-only."""

    N: int
    variant: str
    w_target: np.ndarray
    linear_jacobian: sp.csr_array  # [Laplace_h, I], the whole Jacobian of the linear variant
    diagonal_positions: np.ndarray  # where Laplace_h's diagonal sits in linear_jacobian.data
    constant_hessian: sp.csr_array  # diag(1, ..., 1, 0.1, ..., 0.1)

    @property
    def grid_points(self) -> int:
        return self.N * self.N

    def split(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return x[: self.grid_points], x[self.grid_points:]

    def fun(self, x: np.ndarray) -> float:
        w, u = self.split(x)
        misfit = w - self.w_target
        return 0.5 * float(misfit @ misfit) + 0.5 * CONTROL_WEIGHT * float(u @ u)

    def grad(self, x: np.ndarray) -> np.ndarray:
        w, u = self.split(x)
        return np.concatenate([w - self.w_target, CONTROL_WEIGHT * u])

    def cons(self, x: np.ndarray) -> np.ndarray:
        c = self.linear_jacobian @ x
        if self.variant == "semilinear":
            c -= self.split(x)[0] ** 3
        return c

    def jac(self, x: np.ndarray) -> sp.csr_array:
        if self.variant == "linear":
            return self.linear_jacobian
        w = self.split(x)[0]
        data = self.linear_jacobian.data.copy()
        data[self.diagonal_positions] -= 3.0 * w**2
        # The sparsity pattern is shared with the linear part (read-only); only the values are new.
        return sp.csr_array((data, self.linear_jacobian.indices, self.linear_jacobian.indptr),
                            shape=self.linear_jacobian.shape)

    def lagrangian_hess(self, x: np.ndarray, y: np.ndarray) -> sp.csr_array:
        if self.variant == "linear":
            return self.constant_hessian
        w = self.split(x)[0]
        diagonal = np.concatenate([1.0 - 6.0 * y * w, np.full(self.grid_points, CONTROL_WEIGHT)])
        return sp.csr_array(sp.diags_array(diagonal, format="csr"))


def pde_control_problem(N: int, *, variant: str = "linear", x0=None, y0=None) -> Problem:
    """The paper's PDE-constrained control problem on an N x N interior grid (see the module text).

    Parameters
    ----------
    N : grid points per side (N >= 1); ``n = 2 N^2`` variables ``x = (w, u)``, ``m = N^2``
        constraints.
    variant : ``"linear"`` (the paper's, ``Laplace_h w + u = 0``) or ``"semilinear"``
        (``Laplace_h w - w^3 + u = 0``).
    x0, y0 : starting point and multipliers; default all ones, as in the paper.

    Returns
    -------
    Problem
        With sparse (CSR) Jacobian and Lagrangian Hessian, and ``metadata`` holding the family,
        variant, grid size, spacing and variable layout.
    """
    N = _checked_grid_size(N)
    if variant not in VARIANTS:
        raise ProblemDefinitionError(f"variant must be one of {VARIANTS}, got {variant!r}")
    grid_points = N * N
    jacobian = sp.hstack([five_point_laplacian(N), sp.identity(grid_points, format="csr")], format="csr")
    jacobian = sp.csr_array(jacobian)
    jacobian.sum_duplicates()  # canonical (sorted, no duplicates): lets scipy skip that work later
    rows = np.repeat(np.arange(grid_points, dtype=jacobian.indices.dtype), np.diff(jacobian.indptr))
    diagonal_positions = np.flatnonzero(jacobian.indices == rows)
    hessian = sp.csr_array(sp.diags_array(
        np.concatenate([np.ones(grid_points), np.full(grid_points, CONTROL_WEIGHT)]), format="csr"))
    for matrix in (jacobian, hessian):
        _make_read_only(matrix)
    model = _PDEControl(N, variant, target_state(N), jacobian, diagonal_positions, hessian)

    n = 2 * grid_points
    x_start = np.ones(n) if x0 is None else as_start_vector("x0", x0, n)
    y_start = np.ones(grid_points) if y0 is None else as_start_vector("y0", y0, grid_points)
    name = f"pde-{N}" if variant == "linear" else f"pde-{variant}-{N}"
    metadata = {
        "family": "pde-control",
        "variant": variant,
        "grid_size": N,
        "h": grid_spacing(N),
        "control_weight": CONTROL_WEIGHT,
        "layout": "x = (w, u); w and u are N x N grids flattened row-major: point (i, j), 1-based, "
                  "is index (i - 1) * N + (j - 1) within each block",
        "source": "Hong, Na, Mahoney, Kolar, ICML 2023, experiment 3 (PDE-constrained control)",
    }
    return Problem(model.fun, model.grad, x_start, model.cons, model.jac,
                   lagrangian_hess=model.lagrangian_hess, y0=y_start, m=grid_points, name=name,
                   metadata=metadata)


def pde_names(sizes=DEFAULT_GRID_SIZES, variants=VARIANTS) -> list[str]:
    """Names understood by :func:`load_pde`: ``"pde-N"`` (linear) and ``"pde-semilinear-N"``."""
    names = []
    for variant in variants:
        if variant not in VARIANTS:
            raise ProblemDefinitionError(f"variant must be one of {VARIANTS}, got {variant!r}")
        prefix = "pde-" if variant == "linear" else f"pde-{variant}-"
        names.extend(f"{prefix}{_checked_grid_size(size)}" for size in sizes)
    return names


def load_pde(name: str, *, data_dir=None) -> Problem:
    """The problem called ``name``: ``"pde-32"`` (linear; ``"pde-linear-32"`` too) or ``"pde-semilinear-32"``.

    ``data_dir`` is ignored (the problems need no data files); it is accepted so that every problem
    family's loader takes the same arguments.
    """
    match = _NAME_PATTERN.match(str(name).strip().lower())
    if match is None:
        raise ProblemDefinitionError(
            f"unknown PDE problem name {name!r}: expected 'pde-N' or 'pde-semilinear-N' with N a "
            "positive integer grid size, e.g. 'pde-32'"
        )
    return pde_control_problem(int(match["size"]), variant=match["variant"] or "linear")


def _checked_grid_size(N) -> int:
    if isinstance(N, (bool, np.bool_)) or not isinstance(N, (int, np.integer)):
        raise ProblemDefinitionError(f"grid size N must be a positive integer, got {N!r}")
    if N < 1:
        raise ProblemDefinitionError(f"grid size N must be a positive integer, got {N}")
    return int(N)


def _make_read_only(matrix: sp.csr_array) -> None:
    for array in (matrix.data, matrix.indices, matrix.indptr):
        array.flags.writeable = False
