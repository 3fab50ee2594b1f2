"""Markdown tables, the sensitivity study's bookkeeping, and the figures."""

from __future__ import annotations

import pytest

from sketchsqp.bench.aggregate import aggregate, is_solved
from sketchsqp.bench.report import write_report
from sketchsqp.bench.sensitivity import (PAPER_DEFAULTS, sensitivity_configurations, sensitivity_rows,
                                         sensitivity_table)
from sketchsqp.bench.tables import failure_table, markdown_table, problem_table, summary_table


def _rec(method, problem, *, seed=0, nit=5, nfev=7, time=0.25, success=True, kkt=1e-9, status=None,
         family="fam", n=3, m=1, error=None, label="", options=None, history=None):
    return {"method": method, "family": family, "problem": problem, "seed": seed, "label": label, "tol": 1e-6,
            "success": success, "kkt_check": kkt, "nit": nit, "nfev": nfev, "time": time, "n": n, "m": m,
            "status": status or ("CONVERGED" if success else "MAX_ITER"), "error": error,
            "options": options or {}, "kkt_history": history or []}


RECORDS = [
    _rec("a", "p1", nit=4, nfev=5, time=0.5),
    _rec("a", "p2", nit=8, nfev=9, time=1.5),
    _rec("a", "p3", nit=1000, nfev=1001, time=3.0, success=False),
    _rec("b", "p1", nit=20, nfev=40, time=0.1),
    _rec("b", "p2", nit=6, kkt=2e-3),  # success reported, the recomputed residual says no
    _rec("b", "p3", nit=None, nfev=None, time=None, success=False, status="ERROR", n=None, m=None,
         error="Traceback...\nMissingDependencyError: needs | cyipopt"),
]


def test_is_solved_needs_the_recomputed_residual():
    assert is_solved(RECORDS[0])
    assert not is_solved(RECORDS[2])
    assert not is_solved(RECORDS[4])
    assert not is_solved({**RECORDS[0], "kkt_check": None})


def test_summary_table():
    assert summary_table(RECORDS) == "\n".join([
        "| method | solved | median iterations | median evaluations (nfev) | median time (s) |",
        "| :-- | --: | --: | --: | --: |",
        "| a | 2/3 | 6 | 7 | 1 |",
        "| b | 1/3 | 20 | 40 | 0.1 |",
    ])


def test_problem_table_cells_show_status_when_unsolved():
    assert problem_table(RECORDS) == "\n".join([
        "| problem | n | m | a | b |",
        "| :-- | --: | --: | --: | --: |",
        "| p1 | 3 | 1 | 4 / 0.5 | 20 / 0.1 |",
        "| p2 | 3 | 1 | 8 / 1.5 | CONVERGED* 6 / 0.25 |",
        "| p3 | 3 | 1 | MAX_ITER 1000 / 3 | ERROR - / - |",  # n, m known from method a's run
    ])


def test_problem_names_shared_by_two_families_are_qualified():
    records = [_rec("a", "HS28", family="classical"), _rec("a", "HS28", family="cutest47"), _rec("a", "BT2")]
    lines = problem_table(records).splitlines()
    assert [line.split(" | ")[0] for line in lines[2:]] == ["| classical:HS28", "| cutest47:HS28", "| BT2"]


def test_several_seeds_report_the_solved_fraction():
    records = [_rec("a", "p1", seed=0, nit=4), _rec("a", "p1", seed=1, nit=6),
               _rec("a", "p1", seed=2, nit=900, success=False)]
    assert "2/3 solved: 5 / 0.25" in problem_table(records)
    agg = aggregate(records)
    assert agg.cell("a", "fam:p1").solved


def test_failure_table_lists_every_unsolved_run_with_a_reason():
    table = failure_table(RECORDS)
    lines = table.splitlines()
    assert len(lines) == 2 + 3
    assert "| a | fam:p3 | 0 | MAX_ITER | 1e-09 | iteration limit reached |" in lines
    assert any("recomputed KKT residual is 0.002 > tol 1e-06" in line for line in lines)
    assert any("MissingDependencyError: needs \\| cyipopt" in line for line in lines)  # pipe escaped
    assert failure_table(RECORDS[:2]) == "Every run was solved."


def test_markdown_table_alignment():
    assert markdown_table(["x", "y"], [[1, 2]], align=["r", "l"]) == "| x | y |\n| --: | :-- |\n| 1 | 2 |"


def test_sensitivity_configurations_vary_one_parameter_at_a_time():
    configurations = sensitivity_configurations()
    labels = [label for label, _ in configurations]
    assert labels[0] == "default" and configurations[0][1] == PAPER_DEFAULTS
    assert len(labels) == len(set(labels)) == 1 + 4 * 2  # each range holds the default once
    for label, options in configurations[1:]:
        changed = [key for key in PAPER_DEFAULTS if options[key] != PAPER_DEFAULTS[key]]
        assert changed == [label.split("=")[0]]


def test_sensitivity_rows_and_table():
    ranges = {"eta1": (1.0, 10.0)}
    default = {**PAPER_DEFAULTS}
    big = {**PAPER_DEFAULTS, "eta1": 10.0}
    records = [
        _rec("m", "p1", nit=4, label="default", options=default),
        _rec("m", "p2", nit=6, label="default", options=default),
        _rec("m", "p1", nit=5, label="eta1=10", options=big),
        _rec("m", "p2", nit=99, label="eta1=10", options=big, success=False),
    ]
    rows = sensitivity_rows(records, ranges=ranges)
    assert [(r["value"], r["solved"], r["problems"], r["total_nit"], r["median_nit"]) for r in rows] == [
        (1.0, 2, 2, 10.0, 5.0), (10.0, 1, 2, 5.0, 5.0)]
    table = sensitivity_table(rows)
    assert "| m | eta1 | 1 (default) | 2/2 | 10 | 5 |" in table
    assert "| m | eta1 | 10 | 1/2 | 5 | 5 |" in table


def test_report_and_figures(tmp_path):
    pytest.importorskip("matplotlib")
    from sketchsqp.bench.plots import plot_sensitivity

    records = RECORDS + [_rec("a", "pde-3", family="pde", history=[1.0, 1e-2, 1e-5, 1e-9]),
                         _rec("b", "pde-3", family="pde", history=[1.0, 0.5, None, 1e-7])]
    files = write_report(records, tmp_path, title="Benchmark: test", skipped=[("method x", "not installed")],
                         command="sketchsqp bench test")
    names = sorted(path.name for path in files.figures)
    assert names == ["kkt-pde_pde-3.png", "profile-evaluations.png", "profile-iterations.png", "profile-time.png"]
    for path in files.figures:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = files.report.read_text()
    for fragment in ("# Benchmark: test", "## Summary per method", "## Per problem", "## Runs not solved",
                     "* method x: not installed", "![profile-time](profile-time.png)"):
        assert fragment in text
    rows = [{"method": "m", "parameter": p, "value": v, "problems": 2, "solved": 2, "total_nit": 10.0 * v,
             "median_nit": 5.0} for p in ("eta1", "beta") for v in (0.1, 1.0)]
    assert plot_sensitivity(rows, tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"


def test_failure_reason_quotes_the_solvers_own_detail():
    from sketchsqp.bench.tables import failure_reason

    record = _rec("ipopt", "p", success=False, status="EXTERNAL_FAILURE")
    record["detail"] = "external_status: -2 (Restoration_Failed)"
    assert failure_reason(record) == ("the external reference solver reported a failure "
                                      "(external_status: -2 (Restoration_Failed))")


def test_convergence_curves_start_at_the_starting_point():
    from sketchsqp.bench.plots import convergence_curve

    logged_after = {"kkt_history": [1e-2, 1e-6], "kkt_initial": 3.0}   # residual after each iteration
    logged_before = {"kkt_history": [3.0, 1e-2, 1e-6], "kkt_initial": 3.0}  # at the start of each
    assert convergence_curve(logged_after) == [3.0, 1e-2, 1e-6]
    assert convergence_curve(logged_before) == [3.0, 1e-2, 1e-6]
    assert convergence_curve({"kkt_history": [], "kkt_initial": 3.0}) == []
