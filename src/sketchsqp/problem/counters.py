"""Evaluation counters kept in one place for every problem."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class EvaluationCounts:
    nfev: int = 0  # objective values
    ngev: int = 0  # objective gradients
    ncev: int = 0  # constraint values
    njev: int = 0  # constraint Jacobians
    nhev: int = 0  # Lagrangian Hessians (matrix or operator) and Hessian-vector products

    def snapshot(self) -> "EvaluationCounts":
        return dataclasses.replace(self)

    def since(self, earlier: "EvaluationCounts") -> "EvaluationCounts":
        return EvaluationCounts(*(a - b for a, b in zip(dataclasses.astuple(self), dataclasses.astuple(earlier))))

    def reset(self) -> None:
        self.nfev = self.ngev = self.ncev = self.njev = self.nhev = 0
