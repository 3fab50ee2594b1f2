"""The scalable AdaSketch-Newton methods end to end on the PDE control problem (small grids)."""

from __future__ import annotations

import numpy as np
import pytest

from sketchsqp.api import METHODS, solve_problem
from sketchsqp.errors import OptionsError
from sketchsqp.linalg.direct import backend_available
from sketchsqp.problems.pde import pde_control_problem
from sketchsqp.solvers import AdaSketchOptions

NEW_METHODS = ("adasketch", "adasketch-direct", "adasketch-minres", "adasketch-gmres", "adasketch-block")
needs_ldl = pytest.mark.skipif(not backend_available("auto"), reason="no LDL^T backend (sketchsqp[direct])")


def independent_kkt(problem, x, y) -> float:
    """||(grad f + J^T y, c)|| recomputed from the problem's callables."""
    jac = problem.jac(x)
    return float(np.hypot(np.linalg.norm(problem.grad(x) + jac.T @ y), np.linalg.norm(problem.cons(x))))


def test_new_methods_are_registered_next_to_the_paper_methods():
    for name in NEW_METHODS + ("adasketch-gaussian", "adasketch-kaczmarz"):
        assert name in METHODS
    for name in NEW_METHODS:
        assert "practical" in METHODS[name].description


@pytest.mark.parametrize("variant", ["linear", "semilinear"])
@pytest.mark.parametrize("N", [8, 16])
@pytest.mark.parametrize("method", ["adasketch", "adasketch-direct", "adasketch-minres", "adasketch-gmres"])
def test_pde_solves_reach_the_tolerance(method, N, variant):
    if method in ("adasketch", "adasketch-direct") and not backend_available("auto"):
        pytest.skip("no LDL^T backend")
    problem = pde_control_problem(N, variant=variant)
    result = solve_problem(problem, method, options={"tol": 1e-6}, seed=0)
    assert result.status.name == "CONVERGED", result.summary()
    assert independent_kkt(problem, result.x, result.y) <= 1e-6
    assert result.info["accuracy"] == "practical"


@pytest.mark.parametrize("variant", ["linear", "semilinear"])
@pytest.mark.parametrize("sketch", ["row-block", "gaussian"])
def test_block_sketch_method_solves_a_small_pde(variant, sketch):
    # Sketch-and-project converges at a rate set by cond(K)^2, which grows like N^4 on this problem:
    # N = 6 keeps the test fast; q = 96 of the 108 rows makes a Gaussian block step worthwhile.
    problem = pde_control_problem(6, variant=variant)
    options = {"tol": 1e-6, "block_sketch": sketch, "block_size": 32 if sketch == "row-block" else 96}
    result = solve_problem(problem, "adasketch-block", options=options, seed=1)
    assert result.status.name == "CONVERGED", result.summary()
    assert independent_kkt(problem, result.x, result.y) <= 1e-6


def test_block_sketch_runs_are_reproducible_with_a_seed():
    problem = pde_control_problem(6)
    runs = [solve_problem(problem, "adasketch-block", options={"tol": 1e-4}, seed=3) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].x, runs[1].x)
    assert runs[0].inner_iterations == runs[1].inner_iterations


@needs_ldl
def test_default_method_picks_the_direct_solver_and_inertia_correction_for_sparse_matrices():
    problem = pde_control_problem(10, variant="semilinear")
    result = solve_problem(problem, "adasketch", options={"tol": 1e-8})
    assert result.info["inner_solver"] == "direct"
    assert set(result.info["hessian_modification_rules"]) == {"inertia"}
    assert result.method == "adasketch"


def test_practical_mode_skips_the_spectral_estimates_of_the_theory():
    problem = pde_control_problem(8)
    practical = solve_problem(problem, "adasketch-minres", options={"tol": 1e-6})
    theory = solve_problem(problem, "adasketch-minres", options={"tol": 1e-6, "accuracy": "theory"})
    assert "K" not in practical.info["spectral_estimates"] and "H" not in practical.info["spectral_estimates"]
    assert theory.info["spectral_estimates"]["K"] == theory.nit


def test_matrix_free_hessian_uses_minres_in_the_default_method():
    base = pde_control_problem(6)
    from sketchsqp.problem import Problem

    hess = base.hess(base.x0, base.y0)  # constant for the linear variant
    problem = Problem(base._fun, base._grad, base.x0, base._cons, base._jac,
                      lagrangian_hessp=lambda x, y, v: hess @ v, y0=base.y0, m=base.m)
    result = solve_problem(problem, "adasketch", options={"tol": 1e-6})
    assert result.status.name == "CONVERGED"
    assert result.info["inner_solver"] == "minres"


@pytest.mark.parametrize("bad", [{"block_size": 0}, {"block_sketch": "fourier"}, {"preconditioner": "ilu"},
                                 {"direct_backend": "mumps"}, {"hessian_modification": "magic"},
                                 {"factorization_limit": -1}, {"gmres_restart": 0}])
def test_new_options_are_validated(bad):
    with pytest.raises(OptionsError):
        AdaSketchOptions.from_mapping(bad)
