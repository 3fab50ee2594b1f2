"""Dolan-More performance profiles on hand-made cost tables with answers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from sketchsqp.bench.profiles import performance_profile, performance_ratios, profiles_from_records

INF = np.inf

# Three solvers on four problems; C fails on p2, nobody solves p4.
COSTS = np.array([
    [1.0, 2.0, 4.0],
    [10.0, 5.0, 7.0],
    [3.0, 3.0, 6.0],
    [1.0, 1.0, 1.0],
])
SOLVED = np.array([
    [True, True, True],
    [True, True, False],
    [True, True, True],
    [False, False, False],
])


def test_ratios_by_hand():
    expected = np.array([
        [1.0, 2.0, 4.0],    # best 1
        [2.0, 1.0, INF],    # best 5; C failed (its cost 7 is ignored)
        [1.0, 1.0, 2.0],    # best 3, a tie
        [INF, INF, INF],    # nobody solved it
    ])
    np.testing.assert_array_equal(performance_ratios(COSTS, SOLVED), expected)


def test_profile_values_by_hand():
    profile = performance_profile(COSTS, SOLVED, ["A", "B", "C"])
    np.testing.assert_allclose(profile.fraction_within(1.0), [2 / 4, 2 / 4, 0.0])
    np.testing.assert_allclose(profile.fraction_within(1.5), [2 / 4, 2 / 4, 0.0])
    np.testing.assert_allclose(profile.fraction_within(2.0), [3 / 4, 3 / 4, 1 / 4])
    np.testing.assert_allclose(profile.fraction_within(4.0), [3 / 4, 3 / 4, 2 / 4])
    np.testing.assert_allclose(profile.fraction_within(1e9), [3 / 4, 3 / 4, 2 / 4])  # unsolved never count
    np.testing.assert_array_equal(profile.breakpoints(), [1.0, 2.0, 4.0])
    taus, rho = profile.curve()
    np.testing.assert_array_equal(taus, [1.0, 2.0, 4.0])
    np.testing.assert_allclose(rho, [[0.5, 0.5, 0.0], [0.75, 0.75, 0.25], [0.75, 0.75, 0.5]])


def test_zero_cost_needs_a_floor():
    costs = np.array([[0.0, 0.0], [0.0, 3.0]])  # solved at the starting point: zero iterations
    solved = np.ones_like(costs, dtype=bool)
    with pytest.raises(ValueError, match="floor"):
        performance_ratios(costs, solved)
    np.testing.assert_array_equal(performance_ratios(costs, solved, floor=1.0), [[1.0, 1.0], [1.0, 3.0]])


def test_bad_shapes_and_negative_costs_are_rejected():
    with pytest.raises(ValueError, match="one shape"):
        performance_ratios(np.ones((2, 2)), np.ones((2, 3), dtype=bool))
    with pytest.raises(ValueError, match="non-negative"):
        performance_ratios(np.array([[-1.0]]), np.array([[True]]))


def _rec(method, problem, seed, nit, *, success=True, kkt=1e-8, nfev=None, time=0.1):
    return {"method": method, "family": "f", "problem": problem, "seed": seed, "label": "", "tol": 1e-6,
            "success": success, "kkt_check": kkt, "nit": nit, "nfev": nfev if nfev is not None else nit + 1,
            "time": time, "status": "CONVERGED" if success else "MAX_ITER"}


def test_profiles_from_records_use_medians_over_seeds_and_the_recomputed_residual():
    records = [
        _rec("a", "p1", 0, 4), _rec("a", "p1", 1, 6),      # median 5
        _rec("b", "p1", 0, 10),
        _rec("a", "p2", 0, 3, kkt=1e-3),                    # success claimed, residual too large
        _rec("b", "p2", 0, 6),
        _rec("a", "p3", 0, 0), _rec("b", "p3", 0, 2),       # a: solved at the start point
    ]
    profile = profiles_from_records(records, metrics=["iterations"])["iterations"]
    assert profile.solvers == ("a", "b")
    assert profile.problems == ("f:p1", "f:p2", "f:p3")
    np.testing.assert_array_equal(profile.ratios, [[1.0, 2.0], [INF, 1.0], [1.0, 2.0]])
