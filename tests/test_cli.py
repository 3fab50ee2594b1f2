"""The ``sketchsqp`` command line: methods, problems, solve, and a tiny benchmark run."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sketchsqp.bench.suites import get_family
from sketchsqp.cli import main


def _classical_available() -> bool:
    return get_family("classical").missing_dependency() is None


needs_classical = pytest.mark.skipif(not _classical_available(), reason="the classical suite is not importable")


def test_methods_lists_registered_methods_with_availability(capsys):
    assert main(["methods"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["method", "available"]
    rows = {line.split()[0]: line.split()[1] for line in lines[1:]}
    assert rows["adasketch-gaussian"] == "yes" and rows["adasketch-kaczmarz"] == "yes"
    assert set(rows.values()) <= {"yes", "no"}


def test_console_script_is_installed():
    script = shutil.which("sketchsqp", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the console script is not installed next to this interpreter")
    completed = subprocess.run([script, "methods"], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0 and "adasketch-gaussian" in completed.stdout


def test_problems_lists_the_suites(capsys):
    assert main(["problems"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert {"classical", "cutest47", "logistic", "pde", "quick"} <= set(names)


def test_usage_errors_exit_with_status_2(capsys, tmp_path):
    assert main(["bench", "no-such-suite", "--out", str(tmp_path)]) == 2
    assert "unknown suite 'no-such-suite'" in capsys.readouterr().err
    assert main(["bench", "pde", "--methods", "no-such-method", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "left out method no-such-method: no method of that name is registered" in err
    assert "nothing to run" in err
    assert main(["solve", "NO-SUCH-PROBLEM"]) == 2
    with pytest.raises(SystemExit):
        main(["solve", "HS28", "--tol", "-1"])  # argparse rejects a non-positive tolerance


@needs_classical
def test_solve_prints_the_result_and_exits_0_when_solved(capsys):
    assert main(["solve", "classical:HS28", "--method", "adasketch-gaussian", "--tol", "1e-8"]) == 0
    out = capsys.readouterr().out
    assert "classical:HS28: n = 3, m = 1" in out
    assert "CONVERGED" in out and "KKT residual recomputed at the returned point" in out


@needs_classical
def test_solve_exits_1_when_not_solved(capsys):
    assert main(["solve", "classical:HS6", "--method", "adasketch-gaussian", "--option", "max_iter=1"]) == 1
    assert "MAX_ITER" in capsys.readouterr().out


@needs_classical
def test_tiny_classical_benchmark(tmp_path, capsys):
    out = tmp_path / "bench"
    argv = ["bench", "classical", "--problems", "HS28", "HS48", "--methods", "adasketch-gaussian",
            "--out", str(out), "--jobs", "2", "--no-progress"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "| adasketch-gaussian | 2/2 |" in printed
    assert "| HS28 | 3 | 1 |" in printed and "| HS48 | 5 | 2 |" in printed

    lines = (out / "results.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert sorted(r["problem"] for r in records) == ["HS28", "HS48"]
    for record in records:
        assert record["status"] == "CONVERGED" and record["kkt_check"] <= record["tol"] == 1e-6
        assert record["options"]["tol"] == 1e-6 and record["kkt_history"]
    report = (out / "report.md").read_text()
    assert "## Summary per method" in report and "sketchsqp bench classical" in report
    if importlib.util.find_spec("matplotlib") is not None:
        assert (out / "profile-iterations.png").exists()

    # The same command again resumes: nothing left to run, the same table.
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "2 runs were already in the store; ran 0" in captured.err
    assert "| adasketch-gaussian | 2/2 |" in captured.out
    assert (out / "results.jsonl").read_text().splitlines() == lines


@needs_classical
def test_sensitivity_study_writes_its_table_and_plot(tmp_path, capsys):
    out = tmp_path / "sens"
    argv = ["bench", "sensitivity", "--on", "classical", "--problems", "HS28", "--methods", "adasketch-gaussian",
            "--out", str(out), "--jobs", "2", "--no-progress"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    for parameter, values in (("eta1", ("0.1", "1 (default)", "10")), ("beta", ("0.01", "0.1 (default)", "0.3"))):
        for value in values:
            assert f"| adasketch-gaussian | {parameter} | {value} | 1/1 |" in printed
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(records) == 9  # the defaults once, and two other values of each of the four parameters
    assert {record["options"]["eta1"] for record in records} == {0.1, 1.0, 10.0}
    assert "## Sensitivity to eta1, eta2, delta, beta" in (out / "report.md").read_text()
    if importlib.util.find_spec("matplotlib") is not None:
        assert (out / "sensitivity.png").exists()


@needs_classical
def test_invalid_method_options_are_a_usage_error(capsys):
    assert main(["solve", "classical:HS28", "--option", "no_such_option=1"]) == 2
    assert "unknown option(s) ['no_such_option']" in capsys.readouterr().err
