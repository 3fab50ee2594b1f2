"""A small reader for LIBSVM / svmlight text files (plain, gzip or bzip2 compressed).

Each non-empty line is ``label index:value index:value ...`` with 1-based, usually ascending
feature indices; ``#`` starts a comment, and a ``qid:`` token after the label is skipped.  Entries
are kept as written (an explicit ``index:0`` stays a stored entry).  The features come back as a
``scipy.sparse.csr_array`` with sorted indices; the labels as float64.
"""

from __future__ import annotations

import bz2
import dataclasses
import gzip
import os
from pathlib import Path

import numpy as np
import scipy.sparse as sp

_GZIP_MAGIC = b"\x1f\x8b"
_BZIP2_MAGIC = b"BZh"


@dataclasses.dataclass(frozen=True)
class SvmlightData:
    """Features and labels of one svmlight file."""

    features: sp.csr_array  # (n_samples, n_features)
    labels: np.ndarray  # (n_samples,), as written in the file
    source: str = ""

    @property
    def n_samples(self) -> int:
        return int(self.features.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.features.shape[1])

    @property
    def nnz(self) -> int:
        return int(self.features.nnz)

    def label_counts(self) -> dict[float, int]:
        """How often each label value occurs, in increasing order of the value."""
        values, counts = np.unique(self.labels, return_counts=True)
        return {float(v): int(c) for v, c in zip(values, counts)}


def read_svmlight(path: str | os.PathLike, *, n_features: int | None = None, zero_based: bool = False) -> SvmlightData:
    """Read an svmlight file; gzip and bzip2 compression are recognised by their magic bytes.

    Parameters
    ----------
    path : the file.
    n_features : number of columns; default the largest index in the file.  A file whose largest
        index exceeds it is an error.
    zero_based : whether indices start at 0 (default: LIBSVM's 1-based indices).

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        A malformed line (the message names the file and line number).
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw.startswith(_GZIP_MAGIC):
        raw = gzip.decompress(raw)
    elif raw.startswith(_BZIP2_MAGIC):
        raw = bz2.decompress(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not an svmlight text file (not UTF-8 text after decompression)") from exc
    return parse_svmlight(text, n_features=n_features, zero_based=zero_based, source=str(path))


def parse_svmlight(text: str, *, n_features: int | None = None, zero_based: bool = False,
                   source: str = "<text>") -> SvmlightData:
    """Parse svmlight text already in memory; see :func:`read_svmlight`."""
    first_index = 0 if zero_based else 1
    labels: list[float] = []
    row_lengths: list[int] = []
    columns: list[int] = []
    values: list[float] = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        tokens = line.split("#", 1)[0].split()
        if not tokens:
            continue
        try:
            labels.append(float(tokens[0]))
        except ValueError:
            raise ValueError(f"{source}, line {line_number}: label {tokens[0]!r} is not a number") from None
        pairs = tokens[2:] if len(tokens) > 1 and tokens[1].startswith("qid:") else tokens[1:]
        for token in pairs:
            index, colon, value = token.partition(":")
            try:
                column = int(index) - first_index
                columns.append(column)
                values.append(float(value))
            except ValueError:
                raise ValueError(
                    f"{source}, line {line_number}: expected 'index:value', got {token!r}"
                ) from None
            if not colon or column < 0:
                hint = " (the file may be 0-based: pass zero_based=True)" if column == -1 else ""
                raise ValueError(f"{source}, line {line_number}: bad feature {token!r}{hint}")
        row_lengths.append(len(pairs))

    indptr = np.zeros(len(labels) + 1, dtype=np.int64)
    np.cumsum(row_lengths, out=indptr[1:])
    column_array = np.asarray(columns, dtype=np.int64)
    largest = int(column_array.max()) + 1 if column_array.size else 0
    if n_features is None:
        n_features = largest
    elif largest > n_features:
        raise ValueError(f"{source}: feature index {largest - 1 + first_index} exceeds n_features={n_features}")
    features = sp.csr_array(
        (np.asarray(values, dtype=np.float64), column_array, indptr), shape=(len(labels), int(n_features))
    )
    features.sort_indices()
    _refuse_repeated_columns(features, source)
    return SvmlightData(features, np.asarray(labels, dtype=np.float64), source)


def _refuse_repeated_columns(features: sp.csr_array, source: str) -> None:
    """A feature index written twice on one line is a malformed file, not something to sum."""
    same_as_previous = np.flatnonzero(np.diff(features.indices) == 0) + 1
    row_starts = features.indptr[:-1]
    repeated = np.setdiff1d(same_as_previous, row_starts)
    if repeated.size:
        row = int(np.searchsorted(features.indptr, repeated[0], side="right")) - 1
        raise ValueError(f"{source}: feature index repeated in data row {row + 1}")

