"""Checks of user-supplied arrays, with messages that name the argument and the shapes."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from ..errors import EvaluationShapeError, NonFiniteValueError, ProblemDefinitionError


def as_start_vector(name: str, value, size: int | None = None) -> np.ndarray:
    """Validate a starting vector (x0, y0): 1-D real, finite, of the right length; returns float64."""
    try:
        arr = np.asarray(value)
    except Exception as exc:  # pragma: no cover - numpy converts almost anything
        raise ProblemDefinitionError(f"{name} could not be converted to an array: {exc}") from exc
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ProblemDefinitionError(f"{name} must be a real numeric vector, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise ProblemDefinitionError(f"{name} must be real, got complex dtype {arr.dtype}")
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ProblemDefinitionError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if size is not None and arr.shape[0] != size:
        raise ProblemDefinitionError(f"{name} must have shape ({size},), got shape {arr.shape}")
    arr = arr.astype(np.float64)  # copies integer and float arrays alike: the caller's stays untouched
    if not np.all(np.isfinite(arr)):
        bad = np.flatnonzero(~np.isfinite(arr))[:5].tolist()
        raise ProblemDefinitionError(f"{name} must be finite; non-finite entries at indices {bad}")
    return arr


def checked_scalar(callable_name: str, value) -> float:
    """The objective value: a real scalar (0-d or size-1 array allowed), finite."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        out = float(value)
    else:
        arr = np.asarray(value)
        if arr.size != 1 or not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
            raise EvaluationShapeError(
                callable_name, f"must return a real scalar, got {type(value).__name__} with shape {arr.shape}"
            )
        out = float(arr.reshape(()))
    if not np.isfinite(out):
        raise NonFiniteValueError(callable_name, f"returned a non-finite value ({out})")
    return out


def checked_vector(callable_name: str, value, size: int) -> np.ndarray:
    """A vector result (gradient, constraints): shape (size,), real, finite."""
    if sp.issparse(value):
        value = value.toarray()
    arr = np.asarray(value)
    if arr.dtype == object or np.iscomplexobj(arr) or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise EvaluationShapeError(callable_name, f"must return a real vector, got dtype {arr.dtype}")
    if arr.ndim == 2 and 1 in arr.shape and arr.size == size:
        arr = arr.reshape(size)  # a column or row vector is an honest mistake; accept it
    if arr.ndim == 0 and size == 1:
        arr = arr.reshape(1)
    if arr.shape != (size,):
        raise EvaluationShapeError(callable_name, f"must return shape ({size},), got shape {arr.shape}")
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        bad = np.flatnonzero(~np.isfinite(arr))[:5].tolist()
        raise NonFiniteValueError(callable_name, f"returned non-finite entries at indices {bad}")
    return arr


def checked_matrix(callable_name: str, value, shape: tuple[int, int]):
    """A matrix result (Jacobian, Hessian): ndarray, scipy.sparse or LinearOperator of ``shape``.

    Dense and sparse results are checked for finiteness; a LinearOperator is checked for shape only
    (its products are checked where they are used).
    """
    if isinstance(value, LinearOperator):
        if tuple(value.shape) != shape:
            raise EvaluationShapeError(callable_name, f"must return shape {shape}, got LinearOperator of shape {value.shape}")
        return value
    if sp.issparse(value):
        if tuple(value.shape) != shape:
            raise EvaluationShapeError(callable_name, f"must return shape {shape}, got sparse shape {value.shape}")
        mat = sp.csr_array(value, dtype=np.float64)
        if not np.all(np.isfinite(mat.data)):
            raise NonFiniteValueError(callable_name, "returned a sparse matrix with non-finite entries")
        return mat
    arr = np.asarray(value)
    if arr.dtype == object or np.iscomplexobj(arr) or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise EvaluationShapeError(callable_name, f"must return a real matrix, got dtype {arr.dtype}")
    if arr.shape != shape:
        # A single row or column given as a vector is accepted where unambiguous.
        if arr.ndim == 1 and arr.size == shape[0] * shape[1] and 1 in shape:
            arr = arr.reshape(shape)
        elif arr.ndim == 0 and shape == (1, 1):
            arr = arr.reshape(1, 1)
        else:
            raise EvaluationShapeError(callable_name, f"must return shape {shape}, got shape {arr.shape}")
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise NonFiniteValueError(callable_name, "returned a matrix with non-finite entries")
    return arr
