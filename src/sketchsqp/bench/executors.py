"""Where benchmark runs execute: any :class:`concurrent.futures.Executor`.

The runner only calls ``executor.submit(execute_run, task)`` and waits on the futures, so a
:class:`concurrent.futures.ProcessPoolExecutor`, or a cluster engine's executor (Dask's
``Client.get_executor()``), can be plugged in as they are.  The default is
:class:`IsolatedProcessExecutor`, a local process pool built for benchmarks:

* it can kill *one* hung run (a hard wall-clock guard) and replace its worker, while the other
  runs go on -- a ``ProcessPoolExecutor`` whose worker is killed breaks as a whole and fails
  every run in it;
* a worker that crashes (segfault, out of memory) fails only its own run;
* workers are reused between runs (one-time costs such as JIT compilation are paid once per
  worker), or replaced after every ``max_tasks_per_worker`` runs for full isolation;
* workers exit by themselves when the process that started them dies, even by SIGKILL.

Processes start with the ``forkserver`` method where the platform has it (a server that has
imported NumPy, SciPy and the library once forks each worker cheaply) and ``spawn`` elsewhere;
never plain ``fork``, which is unsafe in a process with threads.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import dataclasses
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import threading
import time
from typing import Any, Sequence

#: Environment variables that cap the BLAS/OpenMP threads of worker processes, so K parallel runs
#: use K cores rather than K times all of them.
BLAS_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                         "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


class RunKilled(Exception):
    """The run exceeded the executor's hard wall-clock limit and its process was killed."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"killed by the hard wall-clock guard after {seconds:.1f} s")
        self.seconds = seconds


class WorkerCrashed(Exception):
    """The worker process ended without sending a result (a crash, or killed from outside)."""

    def __init__(self, exitcode: int | None, detail: str = "") -> None:
        how = f"exit code {exitcode}" if exitcode is None or exitcode >= 0 else f"signal {-exitcode}"
        super().__init__(f"worker process died without a result ({how}){': ' + detail if detail else ''}")
        self.exitcode = exitcode


class RunAbandoned(Exception):
    """The executor was terminated while the run was in progress; nothing was recorded."""


def _single_thread_settings() -> dict[str, str]:
    """The BLAS thread caps, except where the user has set a variable."""
    return {variable: "1" for variable in BLAS_THREAD_VARIABLES if variable not in os.environ}


@contextlib.contextmanager
def _environment(settings: dict[str, str]):
    """Environment variables set while a worker (or the fork server, on first use) starts, then removed.

    The worker, or the server it is forked from, reads them as it starts; the calling process keeps
    its own environment.
    """
    for variable, value in settings.items():
        os.environ[variable] = value
    try:
        yield
    finally:
        for variable in settings:
            os.environ.pop(variable, None)


def default_start_method() -> str:
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


_READY = "ready"


def _worker_main(connection, lifeline) -> None:
    """A worker: receive ``(fn, args, kwargs)``, send back ``(ok, value)``, until told to stop."""
    # Ctrl-C is the parent's to handle: it kills the workers, so the partial solve of an
    # interrupted run is never mistaken for a finished one.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def exit_when_orphaned() -> None:
        # Nothing is ever sent on the lifeline: it reaches end-of-file when the executor's process
        # is gone (even killed with SIGKILL), and then nobody is waiting for this run.  (The
        # parent process id says nothing under forkserver: the server outlives the runner.)
        try:
            lifeline.recv()
        except (EOFError, OSError):
            pass
        os._exit(70)

    threading.Thread(target=exit_when_orphaned, daemon=True).start()
    connection.send(_READY)  # start-up (imports) done: the hard time guard of a task starts after it
    while True:
        try:
            work = connection.recv()
        except (EOFError, OSError):
            return
        except Exception as exc:  # the task arrived but cannot be unpickled here (a missing module)
            connection.send((False, exc))
            continue
        if work is None:
            return
        fn, args, kwargs = work
        try:
            outcome = (True, fn(*args, **kwargs))
        except BaseException as exc:  # sent back to be raised from the future
            outcome = (False, exc)
        try:
            connection.send(outcome)
        except Exception as exc:  # an unpicklable result or exception
            connection.send((False, RuntimeError(f"the run's outcome could not be sent back: {exc!r}")))


@dataclasses.dataclass(eq=False)
class _Worker:
    process: Any
    connection: Any
    ready: bool = False  # has finished starting up
    tasks_done: int = 0
    future: concurrent.futures.Future | None = None  # the run in progress, if any
    started: float = 0.0  # when that run was sent


class IsolatedProcessExecutor(concurrent.futures.Executor):
    """A process pool that can kill one hung task without disturbing the others.

    Parameters
    ----------
    max_workers : processes running tasks at once.
    kill_after : seconds after which a running task's process is killed; its future then raises
        :class:`RunKilled` and a new worker takes its place.  None: no limit.
    max_tasks_per_worker : tasks a worker runs before it is replaced (1: a fresh process for every
        task); None: workers live as long as the executor.
    start_method : ``"forkserver"`` (default where available) or ``"spawn"``.
    preload : modules the fork server imports once, before it forks the workers.
    single_threaded_blas : cap BLAS/OpenMP threads in the workers at one (see
        :data:`BLAS_THREAD_VARIABLES`); variables the user has set are left alone.

    A task whose worker dies without a result raises :class:`WorkerCrashed` from its future;
    :meth:`terminate` kills everything in progress (those futures raise :class:`RunAbandoned`).
    """

    def __init__(self, max_workers: int = 1, *, kill_after: float | None = None,
                 max_tasks_per_worker: int | None = None, start_method: str | None = None,
                 preload: Sequence[str] = (), single_threaded_blas: bool = True) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers}")
        if max_tasks_per_worker is not None and max_tasks_per_worker < 1:
            raise ValueError(f"max_tasks_per_worker must be at least 1 or None, got {max_tasks_per_worker}")
        self._context = multiprocessing.get_context(start_method or default_start_method())
        if preload and self._context.get_start_method() == "forkserver":
            self._context.set_forkserver_preload(list(preload))
        self._max_workers = int(max_workers)
        self._kill_after = kill_after
        self._max_tasks_per_worker = max_tasks_per_worker
        self._single_threaded_blas = single_threaded_blas
        self._lock = threading.Lock()
        self._pending: collections.deque = collections.deque()
        self._workers: list[_Worker] = []  # touched by the manager thread only
        self._shutdown = False
        self._terminate = False
        self._wake_read, self._wake_write = os.pipe()  # lets submit/shutdown interrupt the manager's wait
        os.set_blocking(self._wake_write, False)  # a full pipe already means "wake up"
        self._pipes_open = True
        # Only this process holds the writing end; workers watch the reading end (see _worker_main).
        self._lifeline_reader, self._lifeline_writer = self._context.Pipe(duplex=False)
        self._manager: threading.Thread | None = None

    # ------------------------------------------------------------------ Executor interface
    def submit(self, fn, /, *args, **kwargs) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot submit after shutdown")
            self._pending.append((future, fn, args, kwargs))
            if self._manager is None:
                self._manager = threading.Thread(target=self._manage, name="sketchsqp-bench-executor", daemon=True)
                self._manager.start()
        self._wake()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
            if cancel_futures:
                while self._pending:
                    self._pending.popleft()[0].cancel()
            manager = self._manager
        self._wake()
        if wait and manager is not None:
            manager.join()
        if manager is None:
            self._close_pipes()

    def terminate(self) -> None:
        """Cancel waiting tasks and kill the running ones now."""
        with self._lock:
            self._terminate = True
        self.shutdown(wait=True, cancel_futures=True)

    # ------------------------------------------------------------------ the manager thread
    def _wake(self) -> None:
        with self._lock:
            if self._pipes_open:
                try:
                    os.write(self._wake_write, b"x")
                except BlockingIOError:
                    pass

    def _close_pipes(self) -> None:
        with self._lock:
            if self._pipes_open:
                self._pipes_open = False
                os.close(self._wake_read)
                os.close(self._wake_write)
                self._lifeline_reader.close()
                self._lifeline_writer.close()

    def _manage(self) -> None:
        try:
            while True:
                with self._lock:
                    terminate = self._terminate
                    finished = self._shutdown and not self._pending
                if terminate:
                    self._stop_all_workers(kill=True)
                    return
                if finished and not any(worker.future for worker in self._workers):
                    self._stop_all_workers(kill=False)
                    return
                self._dispatch()
                self._wait_and_collect()
        finally:
            self._close_pipes()

    def _dispatch(self) -> None:
        """Start workers for the waiting tasks (up to ``max_workers``) and hand tasks to idle ones."""
        with self._lock:
            waiting = len(self._pending)
        available = sum(1 for w in self._workers if not w.ready or w.future is None)
        while waiting > available and len(self._workers) < self._max_workers:
            if self._start_worker() is None:
                break
            available += 1  # it takes a task once it says it is ready
        for worker in [w for w in self._workers if w.ready and w.future is None]:
            while worker.future is None:
                with self._lock:
                    if not self._pending:
                        return
                    future, fn, args, kwargs = self._pending.popleft()
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    worker.connection.send((fn, args, kwargs))
                except (pickle.PicklingError, TypeError, AttributeError) as exc:
                    future.set_exception(exc)  # the task itself cannot travel; the worker is fine
                    continue
                except OSError:  # the worker died while idle
                    self._retire(worker, kill=True)
                    future.set_exception(WorkerCrashed(None, "the worker was gone before the task reached it"))
                    break
                worker.future, worker.started = future, time.monotonic()

    def _start_worker(self) -> _Worker | None:
        parent_end, child_end = self._context.Pipe(duplex=True)
        process = self._context.Process(target=_worker_main, args=(child_end, self._lifeline_reader), daemon=True)
        try:
            with _environment(_single_thread_settings() if self._single_threaded_blas else {}):
                process.start()
        except Exception as exc:
            parent_end.close()
            child_end.close()
            self._fail_next_pending(exc)
            return None
        child_end.close()
        worker = _Worker(process, parent_end)
        self._workers.append(worker)
        return worker

    def _fail_next_pending(self, exc: BaseException) -> None:
        """A worker could not start: fail one waiting task rather than retry forever."""
        with self._lock:
            item = self._pending.popleft() if self._pending else None
        if item is not None and item[0].set_running_or_notify_cancel():
            item[0].set_exception(exc)

    def _wait_and_collect(self) -> None:
        busy = [worker for worker in self._workers if worker.future is not None]
        timeout = None
        if self._kill_after is not None and busy:
            now = time.monotonic()
            timeout = max(0.0, min(worker.started + self._kill_after - now for worker in busy))
        handles = [self._wake_read]
        for worker in self._workers:
            handles += [worker.connection, worker.process.sentinel]
        ready = set(multiprocessing.connection.wait(handles, timeout))
        if self._wake_read in ready:
            os.read(self._wake_read, 1 << 16)
        now = time.monotonic()
        for worker in list(self._workers):
            if worker.connection in ready or worker.process.sentinel in ready:
                self._collect(worker)
            elif (worker.future is not None and self._kill_after is not None
                  and now - worker.started >= self._kill_after):
                future = worker.future
                self._retire(worker, kill=True)
                future.set_exception(RunKilled(now - worker.started))

    def _collect(self, worker: _Worker) -> None:
        outcome = None
        if worker.connection.poll():  # also true at end-of-file, when the worker died
            try:
                outcome = worker.connection.recv()
            except EOFError:
                pass
            except (OSError, pickle.UnpicklingError, AttributeError, ImportError) as exc:
                outcome = (False, WorkerCrashed(None, f"unreadable result: {exc!r}"))
        future = worker.future
        if outcome is None:  # the process is gone
            self._retire(worker, kill=True)
            if future is not None:
                future.set_exception(WorkerCrashed(worker.process.exitcode))
            elif not worker.ready:
                self._fail_next_pending(WorkerCrashed(worker.process.exitcode, "a worker failed to start"))
            return
        if not worker.ready:
            worker.ready = outcome == _READY
            return
        if future is None:  # nothing was asked of it: ignore stray output
            return
        worker.future = None
        worker.tasks_done += 1
        if self._max_tasks_per_worker is not None and worker.tasks_done >= self._max_tasks_per_worker:
            self._retire(worker, kill=False)
        ok, value = outcome
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def _retire(self, worker: _Worker, *, kill: bool) -> None:
        """Stop a worker (politely, or with SIGKILL) and forget it."""
        if kill:
            worker.process.kill()
        else:
            try:
                worker.connection.send(None)
            except OSError:
                worker.process.kill()
        worker.process.join(timeout=None if kill else 10)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.connection.close()
        exitcode = worker.process.exitcode
        worker.process.close()
        worker.process = _ExitedProcess(exitcode)
        if worker in self._workers:
            self._workers.remove(worker)

    def _stop_all_workers(self, *, kill: bool) -> None:
        for worker in list(self._workers):
            future = worker.future
            self._retire(worker, kill=kill)
            if future is not None:
                future.set_exception(RunAbandoned("the benchmark was stopped while this run was in progress"))


@dataclasses.dataclass(frozen=True)
class _ExitedProcess:
    """What remains of a retired worker's process: its exit code."""

    exitcode: int | None
