"""The iteration log, in the spirit of IPOPT's output."""

from __future__ import annotations

import sys
from typing import TextIO

from ..result import IterationRecord, OptimizeResult


class IterationLog:
    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self.enabled = bool(enabled)
        self.stream = stream if stream is not None else sys.stdout
        self._lines = 0

    def header(self, method: str, problem) -> None:
        if not self.enabled:
            return
        self._write(f"sketchsqp {method} on {problem.name}: n = {problem.n}, m = {problem.m}, "
                    f"Hessian from {problem.hessian_source}")

    def iteration(self, rec: IterationRecord) -> None:
        if not self.enabled:
            return
        if self._lines % 20 == 0:
            self._write(f"{'iter':>5} {'objective':>15} {'||c||':>10} {'KKT':>10} {'alpha':>9} "
                        f"{'inner':>8} {'eta1':>9} {'eta2':>9} {'delta':>9} {'shift':>9}")
        self._lines += 1
        self._write(f"{rec.iteration:5d} {rec.fun:15.8e} {rec.constr_norm:10.3e} {rec.kkt_residual:10.3e} "
                    f"{rec.step_length:9.2e} {rec.inner_iterations:8d} {rec.eta1:9.2e} {rec.eta2:9.2e} "
                    f"{rec.delta:9.2e} {rec.hessian_shift:9.2e}")

    def summary(self, result: OptimizeResult) -> None:
        if not self.enabled:
            return
        self._write("")
        self._write(f"Status: {result.status.name} -- {result.message}")
        self._write(f"  objective              {result.fun:.12e}")
        self._write(f"  KKT residual           {result.kkt_residual:.3e}")
        self._write(f"  ||grad L||_inf         {result.optimality:.3e}")
        self._write(f"  ||c||_inf              {result.constr_violation:.3e}")
        self._write(f"  iterations             {result.nit} (inner {result.inner_iterations})")
        self._write(f"  evaluations            f {result.nfev}, grad {result.ngev}, c {result.ncev}, "
                    f"J {result.njev}, Hessian {result.nhev}")
        self._write(f"  time                   {result.time:.3f} s")

    def _write(self, text: str) -> None:
        print(text, file=self.stream, flush=True)
