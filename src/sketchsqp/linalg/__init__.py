"""Linear algebra: the KKT operator, sketches, inner solvers, Hessian modification, spectral estimates."""

from .block_sketch import BlockSketchSolver
from .contract import InnerOutcome, InnerState, InnerStatus, LinearSolver
from .direct import KKTUpperPattern, LDLFactorization
from .direct_solver import SparseDirectSolver
from .hessian_modification import (CertifiedShift, InertiaCorrection, ModifiedHessian, NullSpaceEigenvalueShift,
                                   gershgorin_lower_bound, shifted)
from .kkt import KKTOperator
from .krylov import GmresSolver, MinresSolver
from .preconditioners import BlockJacobiPreconditioner, SchurComplementPreconditioner, preconditioner
from .sketch_and_project import GaussianSketchSolver, KaczmarzSolver
from .sketches import (GaussianBlockSketch, GaussianVectorSketch, KaczmarzRowSketch, RowBlockSketch, SparseSignSketch,
                       block_sketch)
from .spectral import SpectralEstimator, gram_extremes, kkt_norm, symmetric_norm

__all__ = [
    "BlockJacobiPreconditioner",
    "BlockSketchSolver",
    "CertifiedShift",
    "GaussianBlockSketch",
    "GaussianSketchSolver",
    "GaussianVectorSketch",
    "GmresSolver",
    "InertiaCorrection",
    "InnerOutcome",
    "InnerState",
    "InnerStatus",
    "KKTOperator",
    "KKTUpperPattern",
    "KaczmarzRowSketch",
    "KaczmarzSolver",
    "LDLFactorization",
    "LinearSolver",
    "MinresSolver",
    "ModifiedHessian",
    "NullSpaceEigenvalueShift",
    "RowBlockSketch",
    "SchurComplementPreconditioner",
    "SparseDirectSolver",
    "SparseSignSketch",
    "SpectralEstimator",
    "block_sketch",
    "gershgorin_lower_bound",
    "gram_extremes",
    "kkt_norm",
    "preconditioner",
    "shifted",
    "symmetric_norm",
]
