"""Dolan-More performance profiles.

For problems ``p`` and solvers ``s`` with cost ``t[p, s]`` (iterations, evaluations or time;
infinite where ``s`` did not solve ``p``), the performance ratio is

    r[p, s] = t[p, s] / min_s' t[p, s']

and the profile of solver ``s`` is the fraction of problems it solves within a factor ``tau`` of
the best solver,

    rho_s(tau) = |{p : r[p, s] <= tau}| / n_problems.

``rho_s(1)`` is the fraction of problems on which ``s`` is (one of) the cheapest; ``rho_s(tau)``
for large ``tau`` is the fraction it solves at all.  Problems nobody solves stay in the
denominator.  Costs are raised to a small positive floor first, so a problem solved at the
starting point (zero iterations) gives ratio 1 to every solver that did so rather than 0/0.

Reference: E. D. Dolan and J. J. More, "Benchmarking optimization software with performance
profiles", Math. Program. 91:201-213, 2002.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable, Mapping, Sequence

import numpy as np

from .aggregate import METRICS, aggregate

#: Smallest cost per metric (see the module docstring): one iteration or evaluation, a microsecond.
COST_FLOORS = {"iterations": 1.0, "evaluations": 1.0, "time": 1e-6}


def performance_ratios(costs: np.ndarray, solved: np.ndarray, *, floor: float = 0.0) -> np.ndarray:
    """Ratios ``r[p, s]`` (infinite where not solved, and on problems nobody solved).

    Parameters
    ----------
    costs : (n_problems, n_solvers) non-negative costs.
    solved : (n_problems, n_solvers) booleans; unsolved entries' costs are ignored.
    floor : costs below it are raised to it (must be positive when a solved cost can be 0).
    """
    costs = np.asarray(costs, dtype=float)
    solved = np.asarray(solved, dtype=bool)
    if costs.ndim != 2 or costs.shape != solved.shape:
        raise ValueError(f"costs and solved must be 2-D arrays of one shape, got {costs.shape} and {solved.shape}")
    usable = solved & np.isfinite(costs)
    if np.any(costs[usable] < 0):
        raise ValueError("costs must be non-negative")
    effective = np.where(usable, np.maximum(costs, floor), np.inf)
    best = effective.min(axis=1, keepdims=True) if effective.shape[1] else np.full((effective.shape[0], 1), np.inf)
    if np.any(best == 0):
        raise ValueError("a solved cost is 0: give a positive floor")
    with np.errstate(invalid="ignore"):
        ratios = effective / best
    ratios[~usable | ~np.isfinite(best)] = np.inf
    return ratios


@dataclasses.dataclass(frozen=True)
class PerformanceProfile:
    """The ratios of a set of solvers on a set of problems, and the profile curves they define."""

    solvers: tuple[str, ...]
    problems: tuple[str, ...]
    ratios: np.ndarray  # (n_problems, n_solvers)
    metric: str = ""

    def fraction_within(self, tau: float) -> np.ndarray:
        """``rho_s(tau)`` for every solver."""
        if not self.problems:
            return np.zeros(len(self.solvers))
        return np.mean(self.ratios <= tau, axis=0)

    def breakpoints(self) -> np.ndarray:
        """The distinct finite ratios (where some ``rho_s`` jumps), starting at 1."""
        finite = self.ratios[np.isfinite(self.ratios)]
        return np.unique(np.concatenate([[1.0], finite]))

    def curve(self, taus: Sequence[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(taus, rho)`` with ``rho[i, s] = rho_s(taus[i])``; default taus: the breakpoints."""
        taus = self.breakpoints() if taus is None else np.asarray(taus, dtype=float)
        rho = np.array([self.fraction_within(tau) for tau in taus]).reshape(len(taus), len(self.solvers))
        return taus, rho


def performance_profile(costs: np.ndarray, solved: np.ndarray, solvers: Sequence[str],
                        problems: Sequence[str] | None = None, *, floor: float = 0.0,
                        metric: str = "") -> PerformanceProfile:
    """The :class:`PerformanceProfile` of a cost table."""
    ratios = performance_ratios(costs, solved, floor=floor)
    problems = tuple(problems) if problems is not None else tuple(str(i) for i in range(ratios.shape[0]))
    return PerformanceProfile(tuple(solvers), problems, ratios, metric)


def cost_table(records: Iterable[Mapping], metric: str) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """``(costs, solved, solvers, problems)`` for a metric of :data:`~sketchsqp.bench.aggregate.METRICS`."""
    field = METRICS[metric]
    agg = aggregate(records)
    costs = np.full((len(agg.problems), len(agg.entries)), np.inf)
    solved = np.zeros_like(costs, dtype=bool)
    for i, problem in enumerate(agg.problems):
        for j, entry in enumerate(agg.entries):
            cell = agg.cell(entry, problem)
            if cell is None or not cell.solved:
                continue
            value = cell.median(field)
            if value is not None:
                costs[i, j] = value
                solved[i, j] = True
    return costs, solved, agg.entries, agg.problems


def profiles_from_records(records: Sequence[Mapping],
                          metrics: Sequence[str] = tuple(METRICS)) -> dict[str, PerformanceProfile]:
    """One profile per metric (iterations, evaluations, time) over the methods in the records."""
    profiles = {}
    for metric in metrics:
        costs, solved, solvers, problems = cost_table(records, metric)
        profiles[metric] = performance_profile(costs, solved, solvers, problems, floor=COST_FLOORS[metric],
                                               metric=metric)
    return profiles
