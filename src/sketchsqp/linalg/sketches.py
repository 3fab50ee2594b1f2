"""Sketch distributions for sketch-and-project (ALGORITHM.md, step 4).

A *distribution* is a small immutable object; :meth:`draw` takes an explicit
:class:`numpy.random.Generator` and returns a *sample* the solver applies.  Randomness never comes
from global state, so a seeded run is replayable.

Vector sketches (q = 1): :class:`GaussianVectorSketch`, :class:`KaczmarzRowSketch`.
Block sketches (q > 1), the BLAS-3 generalisation (not in the paper):

* :class:`GaussianBlockSketch` -- S ~ N(0, 1)^{N x q}, dense; ``K^T S`` costs q products with K.
* :class:`SparseSignSketch` -- each of the N rows of S holds ``nonzeros_per_row`` entries +-1 in
  random columns (``nonzeros_per_row=1`` is CountSketch; Clarkson and Woodruff 2013; Tropp et al.
  2019 for the sparse sign embedding); ``K^T S`` costs about ``nonzeros_per_row`` products with K.
* :class:`RowBlockSketch` -- S = [e_i1, ..., e_iq]: block Kaczmarz on q distinct random rows
  (Needell and Tropp 2014); needs row access to an explicit K.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp


@dataclasses.dataclass(frozen=True)
class GaussianVectorSketch:
    """S ~ N(0, I_N), one column: ``z <- z - (S^T r / ||K^T S||^2) K^T S``."""

    name = "gaussian"

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.standard_normal(size)

    def draw_batch(self, rng: np.random.Generator, count: int, size: int) -> np.ndarray:
        """``count`` sketches as the rows of a (count, size) array."""
        return rng.standard_normal((count, size))


@dataclasses.dataclass(frozen=True)
class KaczmarzRowSketch:
    """S = e_i: randomized Kaczmarz on row i of K.

    ``sampling="uniform"`` (the authors' prototype) or ``"row-norm"`` (probability proportional to
    ``||K_i||^2``, Strohmer and Vershynin 2009).
    """

    sampling: str = "uniform"
    name = "kaczmarz"

    def __post_init__(self) -> None:
        if self.sampling not in ("uniform", "row-norm"):
            raise ValueError(f"sampling must be 'uniform' or 'row-norm', got {self.sampling!r}")

    def probabilities(self, row_norms_squared: np.ndarray) -> np.ndarray | None:
        if self.sampling == "uniform":
            return None
        total = float(row_norms_squared.sum())
        return row_norms_squared / total if total > 0 else None

    def draw_rows(self, rng: np.random.Generator, count: int, size: int, probabilities) -> np.ndarray:
        """A batch of row indices (drawn in batches to keep the Python loop lean)."""
        if probabilities is None:
            return rng.integers(0, size, count)
        return rng.choice(size, size=count, p=probabilities)


def _check_block_size(block_size: int) -> None:
    if not isinstance(block_size, (int, np.integer)) or isinstance(block_size, bool) or block_size < 1:
        raise ValueError(f"block_size must be a positive integer, got {block_size!r}")


@dataclasses.dataclass(frozen=True)
class GaussianBlockSketch:
    """S ~ N(0, 1)^{N x q} (dense).  ``draw`` returns the N x q array."""

    block_size: int = 32
    name = "gaussian-block"
    needs_rows = False

    def __post_init__(self) -> None:
        _check_block_size(self.block_size)

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.standard_normal((size, min(self.block_size, size)))


@dataclasses.dataclass(frozen=True)
class SparseSignSketch:
    """Sparse sign embedding, N x q, ``nonzeros_per_row`` entries +-1 per row (1: CountSketch).

    The scaling of S does not matter to sketch-and-project (the update is invariant to S -> S A
    for any invertible A), so the entries are plain +-1.
    """

    block_size: int = 32
    nonzeros_per_row: int = 1
    name = "sparse-sign"
    needs_rows = False

    def __post_init__(self) -> None:
        _check_block_size(self.block_size)
        if not isinstance(self.nonzeros_per_row, (int, np.integer)) or self.nonzeros_per_row < 1:
            raise ValueError(f"nonzeros_per_row must be a positive integer, got {self.nonzeros_per_row!r}")

    def draw(self, rng: np.random.Generator, size: int) -> sp.csr_array:
        q = min(self.block_size, size)
        zeta = min(self.nonzeros_per_row, q)
        if zeta == 1:
            cols = rng.integers(0, q, size)[:, None]
        else:
            # zeta distinct columns per row: the first zeta of a random permutation of range(q).
            cols = np.argsort(rng.random((size, q)), axis=1)[:, :zeta]
        signs = rng.choice(np.array([-1.0, 1.0]), size=(size, zeta))
        indptr = np.arange(0, size * zeta + 1, zeta)
        return sp.csr_array((signs.reshape(-1), cols.reshape(-1), indptr), shape=(size, q))


@dataclasses.dataclass(frozen=True)
class RowBlockSketch:
    """S = [e_i1, ..., e_iq] with q distinct rows drawn uniformly: block Kaczmarz.

    ``draw`` returns the (sorted) row indices rather than the N x q selection matrix.
    """

    block_size: int = 32
    name = "row-block"
    needs_rows = True

    def __post_init__(self) -> None:
        _check_block_size(self.block_size)

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        q = min(self.block_size, size)
        return np.sort(rng.choice(size, size=q, replace=False))


BLOCK_SKETCHES = {"gaussian": GaussianBlockSketch, "sparse-sign": SparseSignSketch, "row-block": RowBlockSketch}


def block_sketch(kind: str, block_size: int):
    """The block sketch distribution called ``kind`` ("gaussian", "sparse-sign", "row-block")."""
    if kind not in BLOCK_SKETCHES:
        raise ValueError(f"unknown block sketch {kind!r}; choose one of {sorted(BLOCK_SKETCHES)}")
    return BLOCK_SKETCHES[kind](block_size=block_size)
