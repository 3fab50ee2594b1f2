"""Sketch distributions for sketch-and-project (ALGORITHM.md, step 4).

A *distribution* is a small immutable object; :meth:`draw` takes an explicit
:class:`numpy.random.Generator` and returns a *sample* the solver applies.  Randomness never comes
from global state, so a seeded run is replayable.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class GaussianVectorSketch:
    """S ~ N(0, I_N), one column: ``z <- z - (S^T r / ||K^T S||^2) K^T S``."""

    name = "gaussian"

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.standard_normal(size)


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
