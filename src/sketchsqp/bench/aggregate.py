"""From run records to one summary per (method, problem): the common ground of tables and profiles.

A run is *solved* when the solver reported success **and** the KKT residual recomputed by the
benchmark at the returned point (``kkt_check``) is at most the run's tolerance: the references'
own stopping tests (IPOPT's scaled error, SciPy's) do not decide it.  With several seeds, a
method solves a problem when at least half its runs do, and its iteration, evaluation and time
figures are the medians over the solved runs (over all runs when none solved).
"""

from __future__ import annotations

import collections
import dataclasses
import statistics
from typing import Any, Iterable, Mapping

#: Relative slack when comparing the recomputed KKT residual with the tolerance: the recomputation
#: may round differently from the solver's own evaluation of the same quantity.
KKT_CHECK_SLACK = 1e-9

#: The figures a profile or a table can compare, and the record field behind each.
METRICS = {"iterations": "nit", "evaluations": "nfev", "time": "time"}


def is_solved(record: Mapping[str, Any]) -> bool:
    """Success reported by the solver and confirmed by the recomputed KKT residual."""
    check = record.get("kkt_check")
    tol = record.get("tol")
    if not record.get("success") or check is None or tol is None:
        return False
    return check <= tol * (1 + KKT_CHECK_SLACK)


def entry_name(record: Mapping[str, Any]) -> str:
    """The column a record belongs to: its method, with the configuration label when there is one."""
    label = record.get("label") or ""
    return f"{record['method']} [{label}]" if label else record["method"]


def problem_id(record: Mapping[str, Any]) -> str:
    return f"{record['family']}:{record['problem']}"


@dataclasses.dataclass
class Cell:
    """The runs of one entry (method) on one problem."""

    runs: list[Mapping[str, Any]]

    @property
    def solved_runs(self) -> list[Mapping[str, Any]]:
        return [run for run in self.runs if is_solved(run)]

    @property
    def solved(self) -> bool:
        return 2 * len(self.solved_runs) >= len(self.runs) > 0

    def median(self, field: str) -> float | None:
        """Median of a field over the solved runs (all runs when none is solved), None if never set."""
        pool = self.solved_runs or self.runs
        values = [run[field] for run in pool if run.get(field) is not None]
        return statistics.median(values) if values else None

    @property
    def status(self) -> str:
        """The most frequent status; a success that the recomputed residual rejects reads ``CONVERGED*``."""
        labels = [("CONVERGED*" if run.get("success") and not is_solved(run) else str(run.get("status")))
                  for run in self.runs]
        return collections.Counter(labels).most_common(1)[0][0]


@dataclasses.dataclass
class Aggregate:
    """Cells by (entry, problem id), with the entries and problems in first-seen order."""

    cells: dict[tuple[str, str], Cell]
    entries: list[str]
    problems: list[str]
    sizes: dict[str, tuple[int | None, int | None]]  # problem id -> (n, m)

    def cell(self, entry: str, problem: str) -> Cell | None:
        return self.cells.get((entry, problem))


def aggregate(records: Iterable[Mapping[str, Any]]) -> Aggregate:
    """Group records (one per run; pass the latest per key) by entry and problem."""
    cells: dict[tuple[str, str], Cell] = {}
    entries: dict[str, None] = {}
    problems: dict[str, None] = {}
    sizes: dict[str, tuple[int | None, int | None]] = {}
    for record in records:
        entry, problem = entry_name(record), problem_id(record)
        entries.setdefault(entry)
        problems.setdefault(problem)
        cells.setdefault((entry, problem), Cell([])).runs.append(record)
        if record.get("n") is not None and sizes.get(problem, (None, None))[0] is None:
            sizes[problem] = (record["n"], record.get("m"))
        sizes.setdefault(problem, (None, None))
    return Aggregate(cells, list(entries), list(problems), sizes)
