"""Constrained logistic regression on LIBSVM data: the paper's experiment 2.

The problem (Hong, Na, Mahoney, Kolar, ICML 2023, experiment 2) is

    minimise    f(x) = (1/N) sum_i log(1 + exp(-y_i a_i^T x))
    subject to  A x = b          (10 rows)
                ||x||^2 = 1,

so ``m = 11`` constraints on ``x`` in R^d, started from ``x = y = (1, ..., 1)``.  ``a_i`` are the rows
of the data matrix (kept sparse), and the labels ``y_i`` are mapped to +-1 (the larger of the two
label values in the file becomes +1: mushrooms {1, 2} -> {-1, +1}, phishing {0, 1} -> {-1, +1}).
The authors' prototype used the labels as read, so on mushrooms and phishing its loss differs from
this one; on the other five data sets (labels already +-1) the two agree.

The random constraints
----------------------
``A`` has independent standard normal entries drawn from ``numpy.random.default_rng(seed)``
(default seed 0); the same generator then draws a random unit vector ``x_feas`` (a normalised
standard normal vector) and ``b = A x_feas``, so the constraints are always consistent.  Given
``x_feas``, ``b`` is standard normal, the distribution the authors' prototype drew ``b`` from
directly; drawing it directly leaves ``A x = b, ||x|| = 1`` infeasible whenever the minimum-norm
solution of ``A x = b`` is longer than 1.  See :func:`random_linear_constraints`.

Derivatives (with margins ``t_i = y_i a_i^T x`` and the logistic function ``s``)
----------------------------------------------------------------------------------
``grad f = -(1/N) sum_i s(-t_i) y_i a_i``, ``hess f = (1/N) sum_i s(t_i) s(-t_i) a_i a_i^T``,
Jacobian ``[A; 2 x^T]`` (dense, 11 x d) and Lagrangian Hessian ``hess f + 2 y_11 I``
(``L = f + y^T c``).  The loss uses ``logaddexp`` and ``expit``, so it neither overflows nor loses
the tails.  For ``d <= 500`` the Hessian is a dense d x d matrix (cheap, and faster to use); above,
a LinearOperator of Hessian-vector products through the data matrix.

The data
--------
Files are LIBSVM/svmlight text, gzip compressed or not (``<name>.gz``, ``<name>`` or
``<name>.bz2``).  The small data sets of the paper ship with the package
(``sketchsqp/data/libsvm``, see its README for provenance and checksums); a9a and w8a are read from
a folder: ``data_dir`` when given, else the ``SKETCHSQP_DATA_DIR`` environment variable, then the
shipped folder, then ``../shared/data/libsvm`` beside a source checkout of the repository.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator
from scipy.special import expit

from ..errors import ProblemDefinitionError
from ..problem import Problem
from .libsvm import SvmlightData, read_svmlight

#: Number of random linear constraint rows (paper, experiment 2).
NUM_LINEAR_CONSTRAINTS = 10
#: Above this dimension the Hessian is a LinearOperator instead of a dense matrix.
DENSE_HESSIAN_MAX_DIM = 500
DATA_DIR_ENV = "SKETCHSQP_DATA_DIR"
SHIPPED_DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "libsvm"
LIBSVM_DATA_PAGE = "https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/binary.html"

_LIBSVM_CITATION = (
    "C.-C. Chang and C.-J. Lin, LIBSVM: a library for support vector machines, ACM TIST 2(3):27, "
    f"2011; data: {LIBSVM_DATA_PAGE}"
)


@dataclasses.dataclass(frozen=True)
class LibsvmDatasetInfo:
    """What a data set of the paper should look like, and where it comes from."""

    rows: int
    features: int
    citation: str
    shipped: bool


#: The paper's seven data sets, in the order of its table.
DATASETS: dict[str, LibsvmDatasetInfo] = {
    "ionosphere_scale": LibsvmDatasetInfo(351, 34, "UCI Ionosphere: V. G. Sigillito, S. P. Wing, L. V. Hutton, "
                                          "K. B. Baker, Johns Hopkins APL Technical Digest 10:262-266, 1989", True),
    "mushrooms": LibsvmDatasetInfo(8124, 112, "UCI Mushroom: J. Schlimmer, 1987, from The Audubon Society Field "
                                   "Guide to North American Mushrooms, G. H. Lincoff (ed.), 1981", True),
    "phishing": LibsvmDatasetInfo(11055, 68, "UCI Phishing Websites: R. M. Mohammad, F. Thabtah, L. McCluskey, "
                                  "Neural Computing and Applications 25:443-458, 2014", True),
    "sonar_scale": LibsvmDatasetInfo(208, 60, "UCI Sonar: R. P. Gorman and T. J. Sejnowski, Neural Networks "
                                     "1:75-89, 1988", True),
    "splice_scale": LibsvmDatasetInfo(1000, 60, "Delve splice (UCI splice-junction sequences): M. O. Noordewier, "
                                      "G. G. Towell, J. W. Shavlik, NIPS 3, 1991", True),
    "a9a": LibsvmDatasetInfo(32561, 123, "UCI Adult: R. Kohavi, KDD 1996; preprocessed by J. C. Platt, Advances in "
                             "Kernel Methods - Support Vector Learning, MIT Press, 1998", False),
    "w8a": LibsvmDatasetInfo(49749, 300, "J. C. Platt, Advances in Kernel Methods - Support Vector Learning, "
                             "MIT Press, 1998", False),
}

_SUFFIXES = (".gz", "", ".bz2")


# ---------------------------------------------------------------------------------------------- data
def libsvm_search_dirs(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """The folders searched for LIBSVM files, in order (see the module text)."""
    if data_dir is not None:
        return [Path(data_dir)]
    folders = []
    from_env = os.environ.get(DATA_DIR_ENV, "").strip()
    if from_env:
        folders.append(Path(from_env))
    folders.append(SHIPPED_DATA_DIR)
    repository = Path(__file__).resolve().parents[3]
    shared = repository.parent / "shared" / "data" / "libsvm"
    if (repository / "pyproject.toml").is_file() and shared.is_dir():
        folders.append(shared)
    return folders


def find_libsvm_file(name: str, data_dir: str | os.PathLike | None = None) -> Path:
    """The file of data set ``name``: ``<name>.gz``, ``<name>`` or ``<name>.bz2`` in a search folder
    (or in its ``libsvm`` subfolder).

    Raises
    ------
    FileNotFoundError
        With the folders searched and where to put the file.
    """
    _check_dataset_name(name)
    folders = libsvm_search_dirs(data_dir)
    for folder in folders:
        for place in (folder, folder / "libsvm"):
            for suffix in _SUFFIXES:
                candidate = place / f"{name}{suffix}"
                if candidate.is_file():
                    return candidate
    known = "" if name in DATASETS else f" ('{name}' is not one of the paper's data sets: {', '.join(DATASETS)})"
    raise FileNotFoundError(
        f"LIBSVM data set '{name}' not found{known}. Looked for {name}.gz, {name} or {name}.bz2 in: "
        f"{', '.join(str(f) for f in folders)}. Download the file from {LIBSVM_DATA_PAGE} and put it in one "
        f"of these folders, or pass data_dir=... or set the {DATA_DIR_ENV} environment variable to the folder "
        "that holds it."
    )


def load_libsvm_dataset(name: str, data_dir: str | os.PathLike | None = None) -> SvmlightData:
    """Read data set ``name`` (labels as in the file); a paper data set is checked against its size."""
    path = find_libsvm_file(name, data_dir)
    info = DATASETS.get(name)
    data = read_svmlight(path, n_features=info.features if info else None)
    if info is not None and data.n_samples != info.rows:
        raise ValueError(
            f"{path}: expected {info.rows} rows for data set '{name}', found {data.n_samples}; the file may be "
            f"truncated or a different version (get it from {LIBSVM_DATA_PAGE})"
        )
    return data


def plus_minus_one_labels(labels) -> tuple[np.ndarray, dict[float, float]]:
    """Map two distinct label values to -1 (the smaller) and +1 (the larger).

    Returns the mapped labels and the map ``{original: mapped}``.
    """
    labels = np.asarray(labels, dtype=np.float64).reshape(-1)
    values = np.unique(labels)
    if values.size != 2:
        raise ProblemDefinitionError(
            f"binary classification needs exactly two distinct labels, got {values.size}: {values[:5].tolist()}"
        )
    mapped = np.where(labels == values[1], 1.0, -1.0)
    return mapped, {float(values[0]): -1.0, float(values[1]): 1.0}


# ------------------------------------------------------------------------------------- constraints
@dataclasses.dataclass(frozen=True)
class LinearConstraintData:
    """``A x = b`` with a known point ``feasible_point`` of unit norm that satisfies it."""

    matrix: np.ndarray  # A, (rows, d)
    rhs: np.ndarray  # b, (rows,)
    feasible_point: np.ndarray  # x_feas, (d,), ||x_feas|| = 1, A x_feas = b


def random_linear_constraints(dim: int, *, rows: int = NUM_LINEAR_CONSTRAINTS, seed=0) -> LinearConstraintData:
    """Draw ``A`` (standard normal), then a random unit ``x_feas``, and set ``b = A x_feas``.

    ``seed`` is an int or a ``numpy.random.Generator`` (which is then advanced).
    """
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((rows, dim))
    direction = rng.standard_normal(dim)
    feasible_point = direction / np.linalg.norm(direction)
    return LinearConstraintData(matrix, matrix @ feasible_point, feasible_point)


# ----------------------------------------------------------------------------------------- problem
class _ConstrainedLogistic:
    """Evaluations of the constrained logistic regression; keeps the margins of the last point."""

    def __init__(self, features: sp.csr_array, labels: np.ndarray, constraints: LinearConstraintData,
                 dense_hessian: bool):
        self.features = features
        self.labels = labels
        self.samples = features.shape[0]
        self.constraints = constraints
        self.dense_hessian = dense_hessian
        self._margin_point: np.ndarray | None = None
        self._margin_values: np.ndarray | None = None

    def margins(self, x: np.ndarray) -> np.ndarray:
        """``t_i = y_i a_i^T x``; f, its gradient and Hessian at one point share one product."""
        if self._margin_point is None or not np.array_equal(x, self._margin_point):
            self._margin_values = self.labels * (self.features @ x)
            self._margin_point = x.copy()
        return self._margin_values

    def fun(self, x: np.ndarray) -> float:
        return float(np.mean(np.logaddexp(0.0, -self.margins(x))))

    def grad(self, x: np.ndarray) -> np.ndarray:
        return -(self.features.T @ (self.labels * expit(-self.margins(x)))) / self.samples

    def cons(self, x: np.ndarray) -> np.ndarray:
        return np.append(self.constraints.matrix @ x - self.constraints.rhs, x @ x - 1.0)

    def jac(self, x: np.ndarray) -> np.ndarray:
        return np.vstack([self.constraints.matrix, 2.0 * x])

    def curvature_weights(self, x: np.ndarray) -> np.ndarray:
        """``s(t_i) s(-t_i) / N``: the loss Hessian is ``X^T diag(weights) X``."""
        t = self.margins(x)
        return expit(t) * expit(-t) / self.samples

    def lagrangian_hess(self, x: np.ndarray, y: np.ndarray):
        weights = self.curvature_weights(x)
        sphere_curvature = 2.0 * float(y[-1])  # hess of y_11 (||x||^2 - 1)
        dim = x.shape[0]
        if self.dense_hessian:
            weighted = sp.diags_array(weights) @ self.features
            hess = np.asarray((self.features.T @ weighted).toarray())
            hess[np.diag_indices(dim)] += sphere_curvature
            return hess
        features = self.features

        def matmat(block):
            block = np.asarray(block, dtype=float)
            return features.T @ (weights[:, None] * (features @ block)) + sphere_curvature * block

        def matvec(v):
            return matmat(np.asarray(v, dtype=float).reshape(-1, 1)).reshape(-1)

        return LinearOperator((dim, dim), matvec=matvec, rmatvec=matvec, matmat=matmat, rmatmat=matmat, dtype=float)


def constrained_logistic_problem(
    features,
    labels,
    *,
    seed=0,
    hessian: str = "auto",
    name: str = "logistic",
    metadata: dict | None = None,
) -> Problem:
    """The constrained logistic regression of the module text on given data.

    Parameters
    ----------
    features : (N, d) data matrix, dense or scipy.sparse (kept as CSR).
    labels : (N,) two distinct values, mapped to -1 (smaller) and +1 (larger).
    seed : int or ``numpy.random.Generator`` for the constraints (:func:`random_linear_constraints`).
    hessian : ``"auto"`` (dense when ``d <= 500``), ``"dense"`` or ``"operator"``.
    """
    if sp.issparse(features):
        data = sp.csr_array(features, dtype=np.float64)
    else:
        dense = np.asarray(features, dtype=np.float64)
        if dense.ndim != 2:
            raise ProblemDefinitionError(f"features must be a 2-D matrix, got shape {dense.shape}")
        data = sp.csr_array(dense)
    samples, dim = data.shape
    if samples == 0:
        raise ProblemDefinitionError("features has no rows")
    if not np.all(np.isfinite(data.data)):
        raise ProblemDefinitionError("features has non-finite entries")
    signs, label_map = plus_minus_one_labels(labels)
    if signs.shape[0] != samples:
        raise ProblemDefinitionError(f"labels has {signs.shape[0]} entries, features has {samples} rows")
    if dim < NUM_LINEAR_CONSTRAINTS + 1:
        raise ProblemDefinitionError(
            f"the problem has {NUM_LINEAR_CONSTRAINTS + 1} constraints and needs at least as many features; "
            f"got d = {dim}"
        )
    if hessian not in ("auto", "dense", "operator"):
        raise ProblemDefinitionError(f"hessian must be 'auto', 'dense' or 'operator', got {hessian!r}")
    dense_hessian = hessian == "dense" or (hessian == "auto" and dim <= DENSE_HESSIAN_MAX_DIM)
    constraints = random_linear_constraints(dim, seed=seed)
    model = _ConstrainedLogistic(data, signs, constraints, dense_hessian)
    info = {
        "family": "constrained-logistic",
        "N": int(samples),
        "d": int(dim),
        "nnz": int(data.nnz),
        "num_linear_constraints": NUM_LINEAR_CONSTRAINTS,
        "seed": int(seed) if isinstance(seed, (int, np.integer)) else None,  # None: a Generator was given
        "label_map": {str(k): v for k, v in label_map.items()},
        "hessian": "dense" if dense_hessian else "operator",
    }
    info.update(metadata or {})
    m = NUM_LINEAR_CONSTRAINTS + 1
    return Problem(model.fun, model.grad, np.ones(dim), model.cons, model.jac,
                   lagrangian_hess=model.lagrangian_hess, y0=np.ones(m), m=m, name=name, metadata=info)


def logistic_problem(dataset: str, *, seed=0, data_dir: str | os.PathLike | None = None,
                     hessian: str = "auto") -> Problem:
    """The paper's constrained logistic regression on LIBSVM data set ``dataset``.

    ``dataset`` is one of :func:`logistic_names` (or the name of any binary LIBSVM file in a search
    folder).  The problem is named ``"logistic-<dataset>"``; its metadata holds the data set, N, d,
    the file read and the source citation.
    """
    data = load_libsvm_dataset(dataset, data_dir)
    info = DATASETS.get(dataset)
    citation = f"{info.citation}; {_LIBSVM_CITATION}" if info else _LIBSVM_CITATION
    metadata = {
        "dataset": dataset,
        "file": data.source,
        "source": citation,
        "experiment": "Hong, Na, Mahoney, Kolar, ICML 2023, experiment 2 (constrained logistic regression)",
    }
    return constrained_logistic_problem(data.features, data.labels, seed=seed, hessian=hessian,
                                        name=f"logistic-{dataset}", metadata=metadata)


def logistic_names(*, available_only: bool = False, data_dir: str | os.PathLike | None = None) -> list[str]:
    """The paper's data sets, in its order; with ``available_only``, those whose file is found."""
    names = list(DATASETS)
    if not available_only:
        return names
    found = []
    for name in names:
        try:
            find_libsvm_file(name, data_dir)
        except FileNotFoundError:
            continue
        found.append(name)
    return found


def _check_dataset_name(name: str) -> None:
    if not isinstance(name, str) or not name or name in (".", "..") or "/" in name or "\\" in name or os.sep in name:
        raise ProblemDefinitionError(f"a data set name is a plain file name such as 'a9a', got {name!r}")
