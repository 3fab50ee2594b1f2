"""The benchmark runner: worker processes, the hard time guard, crashes, resume after SIGKILL.

A plugin file written into each test's folder registers a fake method ("fake-bench") and a
family of tiny problems ("fakefam").  The method solves ``min x1^2 + x2^2 s.t. x1 = 1`` exactly,
except on the problems whose names ask for trouble:

* ``hang``: blocks while the file ``hang`` exists beside the plugin, after writing its pid to
  ``started-hang``;
* ``crash``: the worker process exits abruptly;
* ``liar``: claims convergence at the starting point (the recomputed KKT residual disagrees);
* ``broken``: the problem fails to load.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import sketchsqp
from sketchsqp.bench import suites
from sketchsqp.bench.aggregate import is_solved
from sketchsqp.bench.executors import IsolatedProcessExecutor, RunKilled, WorkerCrashed
from sketchsqp.bench.runner import plan_suite, run_tasks
from sketchsqp.bench.store import ResultStore

PLUGIN_SOURCE = textwrap.dedent('''
    import os
    import time
    from pathlib import Path

    import numpy as np

    import sketchsqp
    from sketchsqp.bench.suites import ProblemFamily, register_family

    HERE = Path(__file__).resolve().parent
    NAMES = ["tiny-0", "tiny-1", "tiny-2", "hang", "tiny-3", "crash", "liar", "broken"]


    def load(name):
        if name == "broken":
            raise RuntimeError("this problem cannot be built")
        return sketchsqp.Problem(lambda x: float(x @ x), lambda x: 2.0 * x, np.array([3.0, 2.0]),
                                 lambda x: np.array([x[0] - 1.0]), lambda x: np.array([[1.0, 0.0]]),
                                 hess=lambda x: 2.0 * np.eye(2), cons_hess=lambda x, y: np.zeros((2, 2)),
                                 name=name)


    def run(problem, options, seed, callback):
        if problem.name == "hang":
            (HERE / "started-hang").write_text(str(os.getpid()))
            deadline = time.monotonic() + 120.0
            while (HERE / "hang").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        if problem.name == "crash":
            os._exit(3)
        x, y = np.array([1.0, 0.0]), np.array([-2.0])
        if problem.name == "liar":
            x, y = problem.x0, np.zeros(1)
        return sketchsqp.OptimizeResult(x=x, y=y, fun=float(x @ x), kkt_residual=0.0, optimality=0.0,
                                        constr_violation=0.0, status=sketchsqp.Status.CONVERGED, nit=1 + seed,
                                        nfev=2, time=0.001, method="fake-bench", problem_name=problem.name)


    sketchsqp.register_method(sketchsqp.MethodSpec("fake-bench", "a test double", run))
    register_family(ProblemFamily("fakefam", lambda: list(NAMES), load, default_tol=1e-8))
''')


@pytest.fixture
def plugin(tmp_path):
    """The plugin file; the registrations it makes in this process are undone afterwards."""
    path = tmp_path / "fake_bench_plugin.py"
    path.write_text(PLUGIN_SOURCE)
    yield path
    sketchsqp.METHODS.pop("fake-bench", None)
    suites._FAMILIES.pop("fakefam", None)
    for name in [name for name in sys.modules if name.startswith("sketchsqp_plugin_fake_bench_plugin")]:
        del sys.modules[name]


def _plan(plugin, problems, **kwargs):
    plan = plan_suite(suites.Suite("fake", "test", (("fakefam", None),)), methods=["fake-bench"],
                      problems=problems, plugins=[str(plugin)], time_limit=30.0, **kwargs)
    assert plan.skipped == []
    return plan


def _wait_for(predicate, timeout=30.0, message="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(0.05)


def test_runs_are_recorded_then_skipped_on_resume(plugin, tmp_path):
    plan = _plan(plugin, ["tiny-0", "tiny-1", "liar"], seeds=[0, 1])
    assert len(plan.tasks) == 6  # a randomized method runs every seed
    store = tmp_path / "out" / "results.jsonl"
    first = run_tasks(plan.tasks, store, jobs=2, progress=False)
    assert (first.finished, first.already_done) == (6, 0)
    records = {(r["problem"], r["seed"]): r for r in ResultStore(store).records()}
    assert len(records) == 6
    tiny = records[("tiny-1", 1)]
    assert tiny["status"] == "CONVERGED" and tiny["nit"] == 2 and (tiny["n"], tiny["m"]) == (2, 1)
    assert tiny["kkt_check"] == pytest.approx(0.0, abs=1e-14) and is_solved(tiny)
    assert tiny["options"] == {"tol": 1e-8, "time_limit": 30.0}
    assert tiny["peak_rss_mb"] > 0 and tiny["version"] and tiny["machine"]["python"]
    if sys.platform == "linux":  # the peak is reset before every run: it is the run's own
        assert tiny["peak_rss_scope"] == "run"
    liar = records[("liar", 0)]
    assert liar["success"] and liar["kkt_check"] > 1 and not is_solved(liar)

    again = run_tasks(plan.tasks, store, jobs=2, progress=False)
    assert (again.finished, again.already_done) == (0, 6)
    assert len(ResultStore(store).records()) == 6


def test_hard_guard_kills_a_hung_run_and_crashes_and_errors_are_recorded(plugin, tmp_path):
    (plugin.parent / "hang").write_text("")
    plan = _plan(plugin, ["hang", "crash", "broken", "tiny-0"])
    store = tmp_path / "results.jsonl"
    summary = run_tasks(plan.tasks, store, jobs=2, kill_after=2.5, progress=False)
    assert summary.finished == 4
    status = {r["problem"]: r for r in ResultStore(store).records()}
    assert status["hang"]["status"] == "KILLED" and "hard wall-clock guard" in status["hang"]["error"]
    assert status["crash"]["status"] == "CRASHED" and "exit code 3" in status["crash"]["error"]
    assert status["broken"]["status"] == "ERROR" and "this problem cannot be built" in status["broken"]["error"]
    assert status["tiny-0"]["status"] == "CONVERGED"

    # Retrying the killed run once the hang is gone; the crash is not retried.
    (plugin.parent / "hang").unlink()
    retry = run_tasks(plan.tasks, store, jobs=2, kill_after=30, retry_statuses=["KILLED"], progress=False)
    assert [r["problem"] for r in retry.records] == ["hang"]
    assert ResultStore(store).latest_records()[plan.tasks[0].key]["status"] == "CONVERGED"


def _cli(plugin, out, problems):
    return [sys.executable, "-m", "sketchsqp.cli", "bench", "fakefam", "--plugin", str(plugin), "--methods",
            "fake-bench", "--problems", *problems, "--out", str(out), "--jobs", "1", "--no-plots", "--no-progress"]


def test_sigkill_of_the_runner_loses_only_the_run_in_progress(plugin, tmp_path):
    out = tmp_path / "bench"
    store = out / "results.jsonl"
    problems = ["tiny-0", "tiny-1", "tiny-2", "hang", "tiny-3"]
    (plugin.parent / "hang").write_text("")
    runner = subprocess.Popen(_cli(plugin, out, problems), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        started = plugin.parent / "started-hang"
        _wait_for(started.exists, message="the hanging run to start")
        worker_pid = int(started.read_text())
        # The runner appends a record just after its run ends, perhaps after the next run began.
        _wait_for(lambda: len(ResultStore(store).records()) == 3, message="three finished runs on disk")
        assert [r["problem"] for r in ResultStore(store).records()] == ["tiny-0", "tiny-1", "tiny-2"]
        runner.send_signal(signal.SIGKILL)
        runner.wait(timeout=10)
    finally:
        if runner.poll() is None:
            runner.kill()
        runner.stderr.close()
    _wait_for(lambda: not _process_running(worker_pid), message="the orphaned worker to exit")

    finished_lines = store.read_bytes()
    assert finished_lines.count(b"\n") == 3
    with open(store, "ab") as handle:  # and suppose the kill had torn a write in half
        handle.write(b'{"method": "fake-bench", "fam')

    (plugin.parent / "hang").unlink()
    resumed = subprocess.run(_cli(plugin, out, problems), capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert "3 runs were already in the store; ran 2" in resumed.stderr
    assert "dropped a torn last line" in resumed.stderr
    assert store.read_bytes().startswith(finished_lines)  # finished records untouched
    records = ResultStore(store).records()
    assert [r["problem"] for r in records] == problems
    assert all(r["status"] == "CONVERGED" for r in records)
    assert "| fake-bench | 5/5 |" in resumed.stdout


def _process_running(pid: int) -> bool:
    """Whether ``pid`` is alive (a zombie left for a reaper that never comes counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state != "Z"


def test_isolated_executor_is_a_concurrent_futures_executor():
    import concurrent.futures

    # Built-in callables only: a worker needs nothing imported to run them, so the 1 s guard
    # measures the tasks themselves.
    with IsolatedProcessExecutor(2, kill_after=1.0) as executor:
        futures = [executor.submit(pow, k, 2) for k in range(5)]
        slow = executor.submit(time.sleep, 60)
        crash = executor.submit(os._exit, 5)
        assert [f.result(timeout=30) for f in futures] == [0, 1, 4, 9, 16]
        with pytest.raises(RunKilled):
            slow.result(timeout=30)
        with pytest.raises(WorkerCrashed, match="exit code 5"):
            crash.result(timeout=30)
        with pytest.raises(ZeroDivisionError):  # an exception in the task comes back as itself
            executor.submit(divmod, 1, 0).result(timeout=30)
        assert executor.submit(pow, 7, 2).result(timeout=30) == 49  # killed and crashed workers were replaced
    assert isinstance(executor, concurrent.futures.Executor)
    with pytest.raises(RuntimeError, match="after shutdown"):
        executor.submit(pow, 2, 2)


def test_workers_are_reused_unless_asked_for_a_fresh_process_per_task():
    with IsolatedProcessExecutor(1) as executor:
        pids = {executor.submit(os.getpid).result(timeout=30) for _ in range(3)}
    assert len(pids) == 1
    with IsolatedProcessExecutor(1, max_tasks_per_worker=1) as executor:
        pids = {executor.submit(os.getpid).result(timeout=30) for _ in range(3)}
    assert len(pids) == 3


def test_any_concurrent_futures_executor_can_run_the_tasks(plugin, tmp_path):
    import concurrent.futures
    import multiprocessing

    plan = _plan(plugin, ["tiny-0", "tiny-1", "broken"])
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        summary = run_tasks(plan.tasks, tmp_path / "results.jsonl", executor=pool, progress=False)
    assert summary.finished == 3
    status = {r["problem"]: r["status"] for r in ResultStore(tmp_path / "results.jsonl").records()}
    assert status == {"tiny-0": "CONVERGED", "tiny-1": "CONVERGED", "broken": "ERROR"}


def test_missing_or_unavailable_methods_are_left_out_with_the_reason(plugin):
    sketchsqp.register_method(sketchsqp.MethodSpec("fake-unavailable", "needs a missing extra", lambda *a: None,
                                                   available=lambda: False))
    try:
        plan = plan_suite(suites.Suite("fake", "test", (("fakefam", ("tiny-0",)),)),
                          methods=["fake-bench", "fake-unavailable", "not-registered"], plugins=[str(plugin)])
    finally:
        sketchsqp.METHODS.pop("fake-unavailable", None)
    assert [task.method for task in plan.tasks] == ["fake-bench"]
    reasons = dict(plan.skipped)
    assert reasons["method fake-unavailable"] == "its optional dependencies are not installed"
    assert reasons["method not-registered"].startswith("no method of that name is registered")


@pytest.mark.skipif("OPENBLAS_NUM_THREADS" in os.environ, reason="the user caps BLAS threads already")
def test_workers_run_single_threaded_blas_without_touching_our_environment():
    with IsolatedProcessExecutor(1, start_method="spawn") as executor:
        assert executor.submit(os.getenv, "OPENBLAS_NUM_THREADS").result(timeout=60) == "1"
    assert "OPENBLAS_NUM_THREADS" not in os.environ
