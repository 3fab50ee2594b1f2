"""The benchmark results store: one JSON line per finished run, durable and resumable.

Each run -- one (method, problem, seed, options) combination -- is appended as a single JSON
object on its own line the moment it finishes, then flushed and ``fsync``-ed, so a benchmark
killed at any point (even with SIGKILL) keeps every run that had finished.  A write cut short by
the kill leaves at most one unterminated last line; :meth:`ResultStore.open` detects it, drops it
(or keeps it when it is a complete record that only lacks its newline) and truncates the file so
later appends start on a fresh line.  Lines that are not valid JSON objects elsewhere in the file
are skipped and counted, never fatal.

A record is identified by its :func:`run_key`: method, problem family and name, seed and a hash
of the options passed to the method.  When a key occurs more than once (a run repeated with
``retry``), the last record wins.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

try:  # POSIX advisory locks keep two runners from interleaving their appends
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

#: Statuses the runner itself writes (the solver statuses are the names of :class:`~sketchsqp.Status`).
KILLED = "KILLED"  # the hard wall-clock guard killed the worker
CRASHED = "CRASHED"  # the worker process died without a result (segfault, out of memory)
ERROR = "ERROR"  # an exception escaped the solve (missing dependency, invalid options, bug)
RUNNER_STATUSES = (KILLED, CRASHED, ERROR)


class StoreLockedError(RuntimeError):
    """Another process holds the store open for writing."""


def json_safe(value: Any) -> Any:
    """``value`` with NumPy scalars and arrays made plain and non-finite floats made ``None``."""
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [json_safe(item) for item in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


def options_hash(options: Mapping[str, Any] | None) -> str:
    """A short stable hash of a method's options (key order and int/float spelling do not matter)."""
    canonical = {key: float(value) if isinstance(value, int) and not isinstance(value, bool) else value
                 for key, value in (options or {}).items()}
    text = json.dumps(json_safe(canonical), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def run_key(method: str, family: str, problem: str, seed: int, options_digest: str) -> str:
    """The identity of one run in the store."""
    return f"{method}|{family}:{problem}|{seed}|{options_digest}"


def record_key(record: Mapping[str, Any]) -> str:
    """:func:`run_key` of a stored record."""
    return run_key(record["method"], record["family"], record["problem"], record["seed"], record["options_hash"])


def encode_record(record: Mapping[str, Any]) -> bytes:
    """One record as a JSON line (strict JSON: no NaN or Infinity)."""
    return json.dumps(json_safe(record), sort_keys=True, separators=(",", ":"), allow_nan=False).encode() + b"\n"


def _parse_line(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(record, dict) or not {"method", "family", "problem", "seed", "options_hash"} <= record.keys():
        return None
    return record


class ResultStore:
    """A JSON-lines file of run records.

    Reading (:meth:`records`) works on any file.  Appending needs the store opened, either with
    ``with ResultStore(path) as store:`` or :meth:`open`/:meth:`close`; opening repairs a torn last
    line and takes an exclusive advisory lock, so a second runner on the same file fails clearly.

    Parameters
    ----------
    path : the ``.jsonl`` file; created (with its folder) on open.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.ignored_lines = 0  # unreadable lines skipped by the last read
        self.repaired_bytes = 0  # bytes of a torn last line removed by the last open
        self._handle = None

    # ------------------------------------------------------------------ reading
    def records(self) -> list[dict[str, Any]]:
        """Every readable record in file order; unreadable lines are skipped and counted."""
        self.ignored_lines = 0
        if not self.path.exists():
            return []
        records = []
        for line in self.path.read_bytes().split(b"\n"):
            if not line.strip():
                continue
            record = _parse_line(line)
            if record is None:
                self.ignored_lines += 1
            else:
                records.append(record)
        return records

    def latest_records(self) -> dict[str, dict[str, Any]]:
        """The last record of every run key."""
        return {record_key(record): record for record in self.records()}

    def finished_keys(self, *, retry_statuses: Iterable[str] = ()) -> set[str]:
        """Keys of runs that need not run again: all stored ones except those whose last status is retried."""
        retry = set(retry_statuses)
        return {key for key, record in self.latest_records().items() if record.get("status") not in retry}

    # ------------------------------------------------------------------ writing
    def open(self) -> "ResultStore":
        """Lock the file, repair a torn last line and get ready to append."""
        if self._handle is not None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        handle = open(self.path, "a+b")
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                raise StoreLockedError(f"another benchmark run is writing to {self.path}; wait for it or "
                                       "choose another --out folder") from None
        self._handle = handle
        self.repaired_bytes = self._repair_tail()
        if created:
            _fsync_directory(self.path.parent)  # make the new file's name durable too
        return self

    def append(self, record: Mapping[str, Any]) -> None:
        """Write one record and force it to disk before returning."""
        if self._handle is None:
            raise RuntimeError("open the store before appending (use `with ResultStore(path) as store:`)")
        self._handle.write(encode_record(record))
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing releases the lock
            self._handle = None

    def __enter__(self) -> "ResultStore":
        return self.open()

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _repair_tail(self) -> int:
        """Make the file end with a newline; return how many bytes of a torn last line were dropped."""
        handle = self._handle
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            return 0
        # Read back from the end until the last newline: the tail after it is the only part a
        # killed write can have left unterminated.
        block = 1 << 16
        position = size
        tail = b""
        while position > 0:
            start = max(0, position - block)
            handle.seek(start)
            tail = handle.read(position - start) + tail
            position = start
            if b"\n" in tail:
                break
        newline = tail.rfind(b"\n")
        unterminated = tail[newline + 1:]
        if not unterminated:
            return 0
        if _parse_line(unterminated) is not None:
            handle.write(b"\n")  # a whole record that only lost its newline: keep it
            removed = 0
        else:
            handle.truncate(size - len(unterminated))
            removed = len(unterminated)
        handle.flush()
        os.fsync(handle.fileno())
        handle.seek(0, os.SEEK_END)
        return removed


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
