"""Solvers: the AdaSketch-Newton outer loop, the generic driver, the paper's baselines and the
external references (IPOPT, SciPy) behind one result type."""

from .adasketch import AdaSketchNewton, AdaSketchSolver
from .driver import StepFailure
from .line_search import BacktrackingArmijo
from .options import AdaSketchOptions, DriverOptions

__all__ = ["AdaSketchNewton", "AdaSketchOptions", "AdaSketchSolver", "BacktrackingArmijo", "DriverOptions", "StepFailure"]
