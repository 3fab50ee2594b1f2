"""Linear algebra: the KKT operator, sketches, inner solvers, Hessian modification, spectral estimates."""

from .contract import InnerOutcome, InnerState, InnerStatus, LinearSolver
from .hessian_modification import ModifiedHessian, NullSpaceEigenvalueShift, shifted
from .kkt import KKTOperator
from .sketch_and_project import GaussianSketchSolver, KaczmarzSolver
from .sketches import GaussianVectorSketch, KaczmarzRowSketch
from .spectral import gram_extremes, kkt_norm, symmetric_norm

__all__ = [
    "GaussianSketchSolver",
    "GaussianVectorSketch",
    "InnerOutcome",
    "InnerState",
    "InnerStatus",
    "KKTOperator",
    "KaczmarzRowSketch",
    "KaczmarzSolver",
    "LinearSolver",
    "ModifiedHessian",
    "NullSpaceEigenvalueShift",
    "shifted",
    "gram_extremes",
    "kkt_norm",
    "symmetric_norm",
]
