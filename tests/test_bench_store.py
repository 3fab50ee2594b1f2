"""The JSON-lines results store: durable appends, torn-line repair, resume keys."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from sketchsqp.bench.store import (ResultStore, StoreLockedError, encode_record, json_safe, options_hash,
                                   record_key, run_key)


def _record(problem: str, seed: int = 0, status: str = "CONVERGED", **fields) -> dict:
    record = {"method": "m", "family": "fam", "problem": problem, "seed": seed, "options_hash": "abc",
              "status": status, "nit": 3}
    record.update(fields)
    return record


def test_appended_records_read_back_in_order(tmp_path):
    path = tmp_path / "sub" / "results.jsonl"
    with ResultStore(path) as store:
        for name in ("p1", "p2", "p3"):
            store.append(_record(name))
    records = ResultStore(path).records()
    assert [r["problem"] for r in records] == ["p1", "p2", "p3"]
    assert path.read_bytes().endswith(b"\n")
    assert path.read_bytes().count(b"\n") == 3


def test_truncated_last_line_is_ignored_and_repaired(tmp_path):
    path = tmp_path / "results.jsonl"
    whole = encode_record(_record("p1")) + encode_record(_record("p2"))
    torn = encode_record(_record("p3"))[:25]  # a write cut short by SIGKILL
    path.write_bytes(whole + torn)

    reader = ResultStore(path)
    assert [r["problem"] for r in reader.records()] == ["p1", "p2"]
    assert reader.ignored_lines == 1

    with ResultStore(path) as store:
        assert store.repaired_bytes == len(torn)
        assert path.read_bytes() == whole  # the torn tail is gone, the file ends on a newline
        store.append(_record("p3"))
    store = ResultStore(path)
    assert [r["problem"] for r in store.records()] == ["p1", "p2", "p3"]
    assert store.ignored_lines == 0


def test_complete_record_missing_only_its_newline_is_kept(tmp_path):
    path = tmp_path / "results.jsonl"
    first, second = encode_record(_record("p1")), encode_record(_record("p2"))
    path.write_bytes(first + second[:-1])
    with ResultStore(path) as store:
        assert store.repaired_bytes == 0
        store.append(_record("p3"))
    assert [r["problem"] for r in ResultStore(path).records()] == ["p1", "p2", "p3"]


def test_corrupt_lines_are_skipped_and_counted(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_bytes(encode_record(_record("p1")) + b"\x00\x00garbage\n" + b"[1, 2]\n" + b'{"no": "key"}\n'
                     + encode_record(_record("p2")))
    store = ResultStore(path)
    assert [r["problem"] for r in store.records()] == ["p1", "p2"]
    assert store.ignored_lines == 3


def test_torn_line_longer_than_one_read_block(tmp_path):
    path = tmp_path / "results.jsonl"
    head = encode_record(_record("p1"))
    torn = encode_record(_record("p2", kkt_history=list(range(30_000))))[:-500]
    assert len(torn) > 1 << 16
    path.write_bytes(head + torn)
    with ResultStore(path) as store:
        assert store.repaired_bytes == len(torn)
    assert path.read_bytes() == head


def test_finished_keys_last_record_wins_and_retry(tmp_path):
    path = tmp_path / "results.jsonl"
    with ResultStore(path) as store:
        store.append(_record("p1", status="KILLED"))
        store.append(_record("p2", status="ERROR"))
        store.append(_record("p2", status="CONVERGED"))  # rerun of p2 succeeded
        store.append(_record("p3", status="MAX_ITER"))
    reader = ResultStore(path)
    key = lambda name: run_key("m", "fam", name, 0, "abc")  # noqa: E731
    assert reader.finished_keys() == {key("p1"), key("p2"), key("p3")}
    assert reader.finished_keys(retry_statuses=("KILLED", "ERROR")) == {key("p2"), key("p3")}
    assert reader.latest_records()[key("p2")]["status"] == "CONVERGED"
    assert record_key(_record("p1")) == key("p1")


def test_second_writer_is_refused(tmp_path):
    path = tmp_path / "results.jsonl"
    with ResultStore(path):
        with pytest.raises(StoreLockedError, match="another benchmark run"):
            ResultStore(path).open()
    with ResultStore(path) as store:  # released on close
        store.append(_record("p1"))


def test_append_needs_an_open_store(tmp_path):
    with pytest.raises(RuntimeError, match="open the store"):
        ResultStore(tmp_path / "r.jsonl").append(_record("p1"))


def test_records_are_strict_json():
    record = _record("p", fun=np.float64("nan"), kkt=np.inf, nit=np.int64(4), x=np.array([1.0, np.nan]),
                     flag=np.bool_(True))
    line = encode_record(record)
    decoded = json.loads(line)  # strict JSON: parses without NaN/Infinity extensions
    assert decoded["fun"] is None and decoded["kkt"] is None
    assert decoded["nit"] == 4 and decoded["x"] == [1.0, None] and decoded["flag"] is True
    assert json_safe({"a": (1, 2.5)}) == {"a": [1, 2.5]}
    assert not any(isinstance(v, float) and not math.isfinite(v) for v in json_safe([np.nan, 1.0]) if v is not None)


def test_options_hash_ignores_order_and_int_float_spelling():
    assert options_hash({"tol": 1e-4, "eta1": 1}) == options_hash({"eta1": 1.0, "tol": 0.0001})
    assert options_hash({"eta1": 1.0}) != options_hash({"eta1": 10.0})
    assert options_hash(None) == options_hash({})
