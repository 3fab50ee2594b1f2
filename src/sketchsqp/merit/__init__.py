"""Merit functions: the exact augmented Lagrangian (and, for the baselines, the l1 merit)."""

from .augmented_lagrangian import ExactAugmentedLagrangian, MeritDerivativeParts
from .l1 import L1Merit

__all__ = ["ExactAugmentedLagrangian", "L1Merit", "MeritDerivativeParts"]
