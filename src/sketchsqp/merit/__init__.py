"""Merit functions: the exact augmented Lagrangian (and, for the baselines, the l1 merit)."""

from .augmented_lagrangian import ExactAugmentedLagrangian, MeritDerivativeParts

__all__ = ["ExactAugmentedLagrangian", "MeritDerivativeParts"]
