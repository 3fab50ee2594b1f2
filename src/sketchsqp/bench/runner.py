"""Plan and run benchmark tasks: methods x problems x seeds, in parallel, resumable.

:func:`plan_suite` turns a suite and the command-line choices into :class:`RunTask` objects and
says what it left out and why (a method whose optional dependency is missing, a family that cannot
load here).  :func:`run_tasks` runs the tasks not yet in the store on an executor and appends each
record the moment its run finishes; a rerun of the same command resumes where the last one stopped.

Deterministic methods (``MethodSpec.randomized`` false) run with the first seed only: other seeds
would repeat the same run.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import importlib
import math
import sys
from typing import Any, Callable, Iterable, Mapping, Sequence, TextIO

from .executors import IsolatedProcessExecutor, RunAbandoned, RunKilled, WorkerCrashed
from .plugins import absolute_plugin_paths, load_plugins
from .store import CRASHED, ERROR, KILLED, ResultStore
from .suites import Suite, family_method_options, get_family, select_problems
from .tasks import RunTask, failure_record, make_extra_options
from .worker import execute_run


def hard_time_limit(time_limit: float) -> float | None:
    """Seconds after which a worker is killed: the method's own limit, doubled, plus time to load and stop."""
    return None if not math.isfinite(time_limit) else 2.0 * time_limit + 30.0


@dataclasses.dataclass
class BenchmarkPlan:
    """Tasks to run and what was left out, as ``(what, why)`` pairs."""

    tasks: list[RunTask]
    skipped: list[tuple[str, str]]
    methods: list[str]


def available_methods(requested: Sequence[str] | None = None) -> tuple[list[str], list[tuple[str, str]]]:
    """Registered methods that can run here, and ``(method, why)`` for the others.

    A requested name that no method has is left out with its reason, not an error: methods come
    from optional families that may be absent from an installation.
    """
    from ..api import METHODS

    names = list(dict.fromkeys(requested)) if requested else list(METHODS)
    usable, skipped = [], []
    for name in names:
        if name not in METHODS:
            skipped.append((name, f"no method of that name is registered here (registered: {', '.join(METHODS)})"))
            continue
        try:
            ok = bool(METHODS[name].available())
        except Exception as exc:
            ok, why = False, f"its availability check raised {exc!r}"
        else:
            why = "its optional dependencies are not installed"
        if ok:
            usable.append(name)
        else:
            skipped.append((name, why))
    return usable, skipped


def plan_suite(suite: Suite, *, methods: Sequence[str] | None = None, seeds: Sequence[int] = (0,),
               tol: float | None = None, time_limit: float | None = None, problems: Sequence[str] | None = None,
               data_dir: str | None = None, plugins: Sequence[str] = (),
               configurations: Sequence[tuple[str, Mapping[str, Any]]] = (("", {}),)) -> BenchmarkPlan:
    """The runs of a suite.

    Parameters
    ----------
    methods : method names (default: every registered method that is available).
    seeds : seeds of randomized methods (deterministic methods run once, with the first).
    tol : KKT tolerance for every problem (default: each family's, see ``suites.DEFAULT_TOLERANCES``).
    time_limit : seconds per run (default: the suite's); ``inf`` for none.
    problems : restrict to these problem names.
    configurations : ``(label, options)`` pairs; every method runs once per configuration with those
        extra options (the sensitivity study); the default is one unlabelled configuration.
    """
    plugins = absolute_plugin_paths(plugins)
    load_plugins(plugins)
    if not seeds:
        raise ValueError("give at least one seed")
    usable, skipped = available_methods(methods)
    selection = select_problems(suite, problems)
    skipped = [(f"method {name}", why) for name, why in skipped]
    skipped += [(f"problems {what}", why) for what, why in selection.skipped]
    limit = suite.time_limit if time_limit is None else float(time_limit)
    from ..api import METHODS

    tasks = []
    for ref in selection.problems:
        problem_tol = get_family(ref.family).default_tol if tol is None else float(tol)
        for method in usable:
            method_seeds = list(seeds) if METHODS[method].randomized else [seeds[0]]
            for label, options in configurations:
                extra = {**family_method_options(ref.family, method), **options}
                for seed in method_seeds:
                    tasks.append(RunTask(method=method, family=ref.family, problem=ref.name, seed=int(seed),
                                         tol=problem_tol, time_limit=limit, extra_options=make_extra_options(extra),
                                         label=label, data_dir=data_dir, plugins=plugins))
    return BenchmarkPlan(tasks, skipped, usable)


@dataclasses.dataclass
class RunSummary:
    """What a call of :func:`run_tasks` did."""

    planned: int
    already_done: int
    finished: int
    abandoned: int  # runs the executor gave up on (not recorded; they run again on resume)
    store_repaired_bytes: int
    records: list[dict[str, Any]]


class Progress:
    """A tqdm bar when tqdm is installed and the stream is a terminal, else one plain line per run."""

    def __init__(self, total: int, *, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self._bar = None
        if enabled and total and getattr(self.stream, "isatty", lambda: False)():
            try:
                import tqdm
            except ImportError:
                pass
            else:
                self._bar = tqdm.tqdm(total=total, file=self.stream, unit="run", dynamic_ncols=True)

    def update(self, record: Mapping[str, Any]) -> None:
        self.done += 1
        if not self.enabled:
            return
        line = _run_line(record)
        if self._bar is not None:
            self._bar.set_postfix_str(line[:60], refresh=False)
            self._bar.update(1)
            if record.get("status") in (KILLED, CRASHED, ERROR):
                self._bar.write(f"  {line}", file=self.stream)
        else:
            print(f"[{self.done}/{self.total}] {line}", file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _run_line(record: Mapping[str, Any]) -> str:
    label = f" [{record['label']}]" if record.get("label") else ""
    text = (f"{record['method']} {record['problem']} seed {record['seed']}{label}: {record['status']}")
    if record.get("nit") is not None:
        text += f" nit={record['nit']}"
    if record.get("time") is not None:
        text += f" {record['time']:.3g}s"
    if record.get("error"):
        text += f" ({str(record['error']).splitlines()[-1][:120]})"
    return text


def _preload_modules(tasks: Iterable[RunTask]) -> list[str]:
    """Modules a fork server should import once: the worker and the problem families' modules."""
    modules = ["sketchsqp.bench.worker"]
    for family_name in sorted({task.family for task in tasks}):
        family = get_family(family_name)
        for function in (family.list_names, family.load):
            if isinstance(function, str):
                modules.append(function.partition(":")[0])
    usable = []
    for module in dict.fromkeys(modules):
        try:  # a module that fails to import must not reach the fork server, where it would stop it
            importlib.import_module(module)
        except Exception:
            continue
        usable.append(module)
    return usable


def run_tasks(tasks: Sequence[RunTask], store_path, *, jobs: int = 1,
              executor: concurrent.futures.Executor | None = None, kill_after: float | None = None,
              retry_statuses: Iterable[str] = (), fresh_process_per_run: bool = False, progress: bool = True,
              stream: TextIO | None = None, on_record: Callable[[dict[str, Any]], None] | None = None) -> RunSummary:
    """Run the tasks that the store does not hold yet, appending each record as its run finishes.

    Parameters
    ----------
    tasks : from :func:`plan_suite`.
    store_path : the JSON-lines file (see :class:`~sketchsqp.bench.store.ResultStore`).
    jobs : parallel worker processes (ignored when ``executor`` is given).
    executor : any :class:`concurrent.futures.Executor`; default an
        :class:`~sketchsqp.bench.executors.IsolatedProcessExecutor` with ``jobs`` workers.
    kill_after : hard wall-clock limit per run in seconds (default :func:`hard_time_limit` of the
        largest time limit of the tasks); a killed run is recorded with status KILLED.
    retry_statuses : statuses whose stored runs are run again (e.g. ``("ERROR", "KILLED")``).
    fresh_process_per_run : start a new worker process for every run (full isolation; pays one-time
        costs such as JIT compilation in every run) instead of reusing workers.
    progress : show a progress bar (tqdm on a terminal) or one line per run on ``stream``.

    A KeyboardInterrupt kills the runs in progress (they are not recorded), keeps everything
    finished and is re-raised after the store is closed.
    """
    by_key: dict[str, RunTask] = {}
    for task in tasks:
        by_key.setdefault(task.key, task)  # one run per key, whatever the labels
    unique = list(by_key.values())
    with ResultStore(store_path) as store:
        done = store.finished_keys(retry_statuses=retry_statuses)
        todo = [task for task in unique if task.key not in done]
        summary = RunSummary(planned=len(unique), already_done=len(unique) - len(todo), finished=0, abandoned=0,
                             store_repaired_bytes=store.repaired_bytes, records=[])
        if not todo:
            return summary
        if kill_after is None:
            kill_after = hard_time_limit(max(task.time_limit for task in todo))
        own_executor = executor is None
        if own_executor:
            executor = IsolatedProcessExecutor(max(1, int(jobs)), kill_after=kill_after,
                                               max_tasks_per_worker=1 if fresh_process_per_run else None,
                                               preload=_preload_modules(todo))
        bar = Progress(len(todo), stream=stream, enabled=progress)
        futures = {}
        try:
            for task in todo:
                futures[executor.submit(execute_run, task)] = task
            for future in concurrent.futures.as_completed(futures):
                record = _record_of(future, futures[future])
                if record is None:
                    summary.abandoned += 1
                    continue
                store.append(record)
                summary.records.append(record)
                summary.finished += 1
                bar.update(record)
                if on_record is not None:
                    on_record(record)
        except BaseException:
            # Interrupted (or the store failed): stop what is in progress; finished runs are on disk.
            for future in futures:
                future.cancel()
            if own_executor:
                _stop(executor)
            raise
        else:
            if own_executor:
                executor.shutdown(wait=True)
        finally:
            bar.close()
    return summary


def _stop(executor: concurrent.futures.Executor) -> None:
    terminate = getattr(executor, "terminate", None)
    if terminate is not None:
        terminate()
    else:
        executor.shutdown(wait=False, cancel_futures=True)


def _record_of(future: concurrent.futures.Future, task: RunTask) -> dict[str, Any] | None:
    if future.cancelled():
        return None
    exc = future.exception()
    if exc is None:
        return future.result()
    if isinstance(exc, RunAbandoned):
        return None
    if isinstance(exc, RunKilled):
        return failure_record(task, KILLED, str(exc), wall_time=exc.seconds)
    if isinstance(exc, WorkerCrashed):
        return failure_record(task, CRASHED, str(exc))
    return failure_record(task, ERROR, f"{type(exc).__name__}: {exc}")
