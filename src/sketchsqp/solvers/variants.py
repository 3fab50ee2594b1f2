"""Scalable AdaSketch-Newton variants: the same outer loop (adaptive accuracy, descent test, exact
augmented Lagrangian line search) with inner solvers that reach large problems.

All of them default to the practical accuracy rule ``||K z - b|| <= theta_k kappa ||b||``
(``accuracy="practical"``): the paper's theoretical condition ``||K|| psi ||r|| <= theta_k delta ||b||``
asks for relative residuals far below machine precision once ||K|| and psi grow with the mesh, and
its constants need eigenvalue estimates of J J^T that cost more than the solve.  Pass
``options={"accuracy": "theory"}`` to use it anyway.
"""

from __future__ import annotations

from typing import Any

from .adasketch import AdaSketchSolver
from .options import AdaSketchOptions
from .registry import MethodSpec

PRACTICAL = {"accuracy": "practical"}


def _runner(inner: str):
    def run(problem, options: dict[str, Any] | None, seed, callback):
        merged = {**PRACTICAL, **(options or {})}
        solver = AdaSketchSolver(AdaSketchOptions.from_mapping(merged), inner=inner)
        return solver.solve(problem, seed=seed, callback=callback)

    return run


def _direct_available() -> bool:
    from ..linalg.direct import backend_available

    return backend_available("auto")


def method_specs() -> list[MethodSpec]:
    """The scalable variants for :data:`sketchsqp.api.METHODS`."""
    note = "practical accuracy rule (the theoretical one is hopeless at scale)"
    return [
        MethodSpec("adasketch-block",
                   f"AdaSketch-Newton, block sketch-and-project (row blocks by default; Gaussian or sparse sign via "
                   f"option block_sketch), q = block_size; {note}", _runner("block")),
        MethodSpec("adasketch-minres",
                   f"AdaSketch-Newton, SciPy MINRES with a block-diagonal preconditioner (option preconditioner), warm "
                   f"started when the accuracy is tightened; {note}", _runner("minres"), randomized=False),
        MethodSpec("adasketch-gmres",
                   f"AdaSketch-Newton, SciPy restarted GMRES with a block-diagonal preconditioner; {note}",
                   _runner("gmres"), randomized=False),
        MethodSpec("adasketch-direct",
                   f"AdaSketch-Newton, sparse LDL^T (PARDISO or QDLDL) with IPOPT-style inertia correction and "
                   f"iterative refinement; {note}", _runner("direct"), randomized=False, available=_direct_available),
        MethodSpec("adasketch",
                   f"AdaSketch-Newton, inner solver chosen by structure: sparse direct for explicit matrices, MINRES "
                   f"for matrix-free ones; {note}", _runner("auto"), randomized=False),
    ]
