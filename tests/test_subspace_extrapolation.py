"""The minimum-residual subspace extrapolation of the sketch-and-project solvers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sketchsqp import Status, solve_problem
from sketchsqp.errors import OptionsError
from sketchsqp.linalg import GaussianSketchSolver, InnerStatus, KaczmarzSolver, KKTOperator
from sketchsqp.linalg.subspace_extrapolation import MIN_STEPS, SubspaceExtrapolation
from sketchsqp.problems.classical import get_classical
from sketchsqp.solvers.options import AdaSketchOptions


def ill_conditioned_kkt(seed: int, n: int = 5, m: int = 2, smallest: float = 1e-4):
    """A KKT matrix whose reduced Hessian has one eigenvalue ``smallest``: cond(K) ~ 1 / smallest,
    the situation near a minimizer with a singular reduced Hessian."""
    rng = np.random.default_rng(seed)
    J = rng.standard_normal((m, n))
    null = np.linalg.svd(J)[2][m:].T  # orthonormal basis of null(J)
    range_basis = np.linalg.svd(J)[2][:m].T
    reduced = np.diag(np.r_[smallest, rng.uniform(1.0, 2.0, n - m - 1)])
    B = null @ reduced @ null.T + range_basis @ range_basis.T
    return KKTOperator(B, J), rng.standard_normal(n + m)


def dense_residual(kkt: KKTOperator, z, rhs) -> float:
    return float(np.linalg.norm(kkt.to_dense() @ z - rhs))


def test_extrapolation_is_exact_and_leaves_the_plain_iterate_alone():
    rng = np.random.default_rng(3)
    kkt, rhs = ill_conditioned_kkt(0, smallest=1e-6)
    K = kkt.to_dense()
    extrapolation = SubspaceExtrapolation(kkt, rhs, memory=4)
    extrapolation.min_steps = 1
    z = np.zeros(kkt.size)
    extrapolation.mark(z, K @ z - rhs)
    direction = rng.standard_normal(kkt.size)
    for step in range(60):
        # nearly parallel moves (a slowly converging iteration) make the least-squares problem
        # ill-conditioned, the case where r + K V c could drift from K z* - b
        move = direction + 1e-7 * rng.standard_normal(kkt.size) if step % 2 else rng.standard_normal(kkt.size)
        z += 1e-2 * move
        r = K @ z - rhs
        z_before, r_before = z.copy(), r.copy()
        reported = extrapolation.checkpoint(z, r, steps=1)
        np.testing.assert_array_equal(z, z_before)
        np.testing.assert_array_equal(r, r_before)
        assert reported <= np.linalg.norm(r) * (1 + 1e-12)
        if extrapolation.best is not None:
            point, residual, norm = extrapolation.best
            assert norm == pytest.approx(reported)
            assert np.linalg.norm(K @ point - rhs - residual) <= 1e-9 * max(1.0, np.linalg.norm(rhs))
    assert extrapolation.improvements > 0


def test_checkpoints_wait_for_min_steps():
    kkt, rhs = ill_conditioned_kkt(5)
    extrapolation = SubspaceExtrapolation(kkt, rhs, memory=3)
    z = np.zeros(kkt.size)
    extrapolation.mark(z, -rhs)
    z2 = 0.1 * np.ones(kkt.size)
    r2 = kkt.to_dense() @ z2 - rhs
    extrapolation.checkpoint(z2, r2, steps=extrapolation.min_steps - 1)
    assert extrapolation.directions == []
    extrapolation.checkpoint(z2, r2, steps=1)
    assert len(extrapolation.directions) == 1


def test_recycled_solution_direction_is_found_at_the_first_checkpoint():
    kkt, rhs = ill_conditioned_kkt(1)
    solution = np.linalg.solve(kkt.to_dense(), rhs)
    for solver in (GaussianSketchSolver(), KaczmarzSolver()):
        state = solver.start(kkt, rhs, np.random.default_rng(0), recycled=(3.0 * solution)[:, None])
        outcome = solver.run(state, 1e-10 * np.linalg.norm(rhs), max_iter=MIN_STEPS + 2 * kkt.size, deadline=math.inf)
        assert outcome.status is InnerStatus.REACHED, solver.name
        assert dense_residual(kkt, state.z, rhs) <= 1e-9 * np.linalg.norm(rhs)


@pytest.mark.parametrize("make", [GaussianSketchSolver, KaczmarzSolver], ids=["gaussian", "kaczmarz"])
def test_extrapolation_solves_what_the_plain_iteration_cannot(make):
    kkt, rhs = ill_conditioned_kkt(2, smallest=1e-4)
    target = 1e-8 * np.linalg.norm(rhs)
    budget = 20_000
    accelerated = make(subspace_memory=kkt.size + 1)
    state = accelerated.start(kkt, rhs, np.random.default_rng(0))
    assert accelerated.run(state, target, budget, math.inf).status is InnerStatus.REACHED
    assert dense_residual(kkt, state.z, rhs) <= 1.01 * target

    plain = make(subspace_memory=0)
    plain_state = plain.start(kkt, rhs, np.random.default_rng(0))
    assert plain.run(plain_state, target, budget, math.inf).status is not InnerStatus.REACHED
    assert dense_residual(kkt, plain_state.z, rhs) > target
    assert plain_state.extra["extrapolation"] is None


def test_no_extrapolation_on_a_regularised_kkt_matrix():
    kkt, rhs = ill_conditioned_kkt(4)
    regularised = KKTOperator(kkt.hessian_block, kkt.jacobian, 1e-8)
    for solver in (GaussianSketchSolver(), KaczmarzSolver()):
        assert solver.start(regularised, rhs, np.random.default_rng(0)).extra["extrapolation"] is None
        assert solver.start(kkt, rhs, np.random.default_rng(0)).extra["extrapolation"] is not None


@pytest.mark.parametrize("method", ["adasketch-gaussian", "adasketch-kaczmarz"])
def test_degenerate_minimizer_needs_the_extrapolation(method):
    """HS26 (singular reduced Hessian at x*): solved with the extrapolation, not by the plain iteration
    within the same caps."""
    problem = get_classical("HS26").to_problem()
    caps = {"tol": 1e-6, "accuracy": "practical", "max_iter": 40, "max_inner_iter": 5_000}
    res = solve_problem(problem, method, options=caps, seed=0)
    assert res.status is Status.CONVERGED and res.nit <= 40
    plain = solve_problem(problem, method, options={**caps, "subspace_memory": 0, "recycled_steps": 0}, seed=0)
    assert not plain.success and plain.kkt_residual > 1e-6


@pytest.mark.parametrize("name,value", [("subspace_memory", -1), ("subspace_memory", 2.5), ("recycled_steps", -3),
                                        ("recycled_steps", True)])
def test_options_are_validated(name, value):
    with pytest.raises(OptionsError, match=name):
        AdaSketchOptions.from_mapping({name: value})


@pytest.mark.parametrize("make", [GaussianSketchSolver, KaczmarzSolver], ids=["gaussian", "kaczmarz"])
def test_runs_hand_back_the_best_point_and_continue_the_plain_iteration(make):
    kkt, rhs = ill_conditioned_kkt(6, smallest=1e-3)
    solver = make(subspace_memory=kkt.size + 1)
    state = solver.start(kkt, rhs, np.random.default_rng(1))
    extrapolation = state.extra["extrapolation"]
    handed_back = 0
    for target in (1e-1, 1e-3, 1e-6, 1e-9):
        outcome = solver.run(state, target * np.linalg.norm(rhs), 50_000, math.inf)
        # the point handed back carries its own exact residual, whichever iterate it is
        assert dense_residual(kkt, state.z, rhs) == pytest.approx(outcome.residual_norm, rel=1e-6, abs=1e-12)
        np.testing.assert_allclose(state.residual, kkt.to_dense() @ state.z - rhs, atol=1e-10)
        handed_back += extrapolation.plain is not None
    assert outcome.status is InnerStatus.REACHED
    assert handed_back >= 1  # at least once the extrapolated point, not the plain iterate, was returned
