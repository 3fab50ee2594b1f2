"""The ``sketchsqp`` command.

::

    sketchsqp methods                        list the methods and whether they can run here
    sketchsqp problems [SUITE]               list the suites, or the problems of one
    sketchsqp solve PROBLEM [--method M]     solve one named problem of any suite, print the result
    sketchsqp bench SUITE [options]          run a benchmark suite: classical, cutest47, logistic,
                                             pde, quick; or the sensitivity study: bench sensitivity

``bench`` writes ``results.jsonl`` (one line per run, resumable: rerun the same command after an
interruption), ``report.md`` and the PNG figures into ``--out`` (default ``bench-results/SUITE``),
and prints the tables.  Exit status: 0 on success (``solve``: 0 only when the problem was solved),
1 when ``solve`` did not solve, 2 on a usage error, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import ast
import math
import shlex
import sys
from pathlib import Path
from typing import Any, Sequence

from .errors import SketchSQPError

RETRYABLE_STATUSES = ("KILLED", "CRASHED", "ERROR")


class UsageError(Exception):
    """A command-line mistake, reported in one line with exit status 2."""


def _parse_option(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        value = raw  # a bare word is a string option, e.g. accuracy=practical
    return key.strip(), value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sketchsqp", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--plugin", action="append", default=[], metavar="MODULE_OR_FILE",
                        help="import a module or .py file that registers extra methods or problem families "
                             "(repeatable)")
    common.add_argument("--data-dir", default=None, help="folder of the LIBSVM data sets (logistic problems)")

    commands.add_parser("methods", parents=[common], help="list the methods and whether they are available")

    problems = commands.add_parser("problems", parents=[common], help="list the suites, or the problems of one")
    problems.add_argument("suite", nargs="?", help="a suite name")

    solve = commands.add_parser("solve", parents=[common], help="solve one named problem and print the result")
    solve.add_argument("problem", help="a problem name (HS28, pde-32, ionosphere_scale, ...), or FAMILY:NAME")
    solve.add_argument("--method", default="adasketch-gaussian")
    solve.add_argument("--tol", type=_positive_float, default=None, help="KKT tolerance (default: the family's)")
    solve.add_argument("--seed", type=int, default=0)
    solve.add_argument("--time-limit", type=_positive_float, default=None, help="seconds")
    solve.add_argument("--option", action="append", type=_parse_option, default=[], metavar="KEY=VALUE",
                       help="a method option, e.g. --option max_iter=50 (repeatable)")
    solve.add_argument("--verbose", "-v", action="store_true", help="print the iteration log")

    bench = commands.add_parser("bench", parents=[common], help="run a benchmark suite or the sensitivity study",
                                description="Run methods x problems x seeds and report tables and figures.")
    bench.add_argument("suite", help="classical, cutest47, logistic, pde, quick, or sensitivity")
    bench.add_argument("--methods", nargs="+", default=None, help="method names (default: all available)")
    bench.add_argument("--problems", nargs="+", default=None, help="only these problems of the suite")
    bench.add_argument("--seeds", nargs="+", type=int, default=[0], help="seeds of the randomized methods")
    bench.add_argument("--tol", type=_positive_float, default=None,
                       help="KKT tolerance for every problem (default: per family, e.g. 1e-4 for cutest47)")
    bench.add_argument("--time-limit", type=float, default=None,
                       help="seconds per run given to each method (default: the suite's; 0 for none)")
    bench.add_argument("--kill-after", type=_positive_float, default=None,
                       help="hard wall-clock limit per run, after which the worker is killed "
                            "(default: twice the time limit plus 30 s)")
    bench.add_argument("--jobs", "-j", type=int, default=None, help="parallel worker processes (default: CPUs)")
    bench.add_argument("--fresh-process", action="store_true",
                       help="a new worker process for every run (full isolation) instead of reused workers")
    bench.add_argument("--out", default=None, help="output folder (default: bench-results/SUITE)")
    bench.add_argument("--option", action="append", type=_parse_option, default=[], metavar="KEY=VALUE",
                       help="an option given to every method (repeatable)")
    bench.add_argument("--on", default="cutest47", help="sensitivity study only: the suite to run it on")
    bench.add_argument("--retry-failed", action="store_true",
                       help=f"rerun stored runs whose status is one of {', '.join(RETRYABLE_STATUSES)}")
    bench.add_argument("--report-only", action="store_true", help="only rebuild the report from the stored runs")
    bench.add_argument("--no-plots", action="store_true", help="do not draw figures")
    bench.add_argument("--no-progress", action="store_true", help="no progress bar or per-run lines")
    return parser


# ---------------------------------------------------------------------------------------------- methods
def _cmd_methods(args) -> int:
    from .bench.plugins import load_plugins

    load_plugins(args.plugin)
    from .api import METHODS

    width = max(len(name) for name in METHODS)
    print(f"{'method':<{width}}  available  kind        description")
    for name, spec in METHODS.items():
        try:
            available = bool(spec.available())
        except Exception:
            available = False
        kind = "external" if spec.external else ("randomized" if spec.randomized else "determin.")
        print(f"{name:<{width}}  {'yes' if available else 'no':<9}  {kind:<10}  {spec.description}")
    return 0


# ---------------------------------------------------------------------------------------------- problems
def _cmd_problems(args) -> int:
    from .bench.plugins import load_plugins
    from .bench.suites import get_suite, select_problems, suite_names

    load_plugins(args.plugin)
    if args.suite is None:
        for name in suite_names():
            print(f"{name:<12} {get_suite(name).description}")
        return 0
    try:
        suite = get_suite(args.suite)
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None
    selection = select_problems(suite)
    for ref in selection.problems:
        print(ref.qualified)
    for what, why in selection.skipped:
        print(f"# left out {what}: {why}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------------------------- solve
def _cmd_solve(args) -> int:
    from .bench.plugins import load_plugins
    from .bench.suites import find_problem, get_family

    load_plugins(args.plugin)
    from .api import METHODS, solve_problem

    if args.method not in METHODS:
        raise UsageError(f"unknown method {args.method!r}; methods: {', '.join(METHODS)}")
    matches = find_problem(args.problem)
    if not matches:
        raise UsageError(f"no problem called {args.problem!r} in any suite that can load here "
                         "(see `sketchsqp problems SUITE`)")
    ref = matches[0]
    if len(matches) > 1:
        others = ", ".join(match.qualified for match in matches[1:])
        print(f"note: {args.problem} is in several families; solving {ref.qualified} (also: {others})",
              file=sys.stderr)
    family = get_family(ref.family)
    problem = family.load_problem(ref.name, data_dir=args.data_dir)
    options = dict(args.option)
    options.setdefault("tol", args.tol if args.tol is not None else family.default_tol)
    if args.time_limit is not None:
        options["time_limit"] = args.time_limit
    if args.verbose:
        options["verbose"] = True
    print(f"{ref.qualified}: n = {problem.n}, m = {problem.m}; method {args.method}, options {options}")
    result = solve_problem(problem, args.method, options=options, seed=args.seed)
    check = problem.kkt_residual(result.x, result.y)
    print(result.summary())
    print(f"KKT residual recomputed at the returned point: {check:.3e} (tol {options['tol']:g})")
    if problem.n <= 12:
        print(f"x = {result.x}")
        print(f"y = {result.y}")
    solved = result.success and check <= options["tol"] * (1 + 1e-9)
    return 0 if solved else 1


# ---------------------------------------------------------------------------------------------- bench
def _cmd_bench(args, argv: Sequence[str]) -> int:
    from .bench.environment import usable_cpu_count
    from .bench.report import write_report
    from .bench.runner import plan_suite, run_tasks
    from .bench.store import ResultStore
    from .bench.suites import get_suite
    from .bench.tables import problem_table, summary_table

    sensitivity = args.suite == "sensitivity"
    suite_name = args.on if sensitivity else args.suite
    try:
        suite = get_suite(suite_name)
    except KeyError as exc:
        if not sensitivity:
            from .bench.plugins import load_plugins

            load_plugins(args.plugin)  # the suite may be a plugin's family
            try:
                suite = get_suite(suite_name)
            except KeyError:
                raise UsageError(f"{exc.args[0]} (or 'sensitivity')") from None
        else:
            raise UsageError(exc.args[0]) from None
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    time_limit = None if args.time_limit is None else (math.inf if args.time_limit <= 0 else args.time_limit)
    user_options = dict(args.option)
    methods = args.methods
    if sensitivity:
        from .bench.sensitivity import SENSITIVITY_METHODS, sensitivity_configurations

        if methods is None:
            from .bench.runner import available_methods

            registered = available_methods()[0]
            methods = [name for name in SENSITIVITY_METHODS if name in registered]
            if not methods:
                raise UsageError("no AdaSketch method is available for the sensitivity study")
        configurations = [(label, {**user_options, **options}) for label, options in sensitivity_configurations()]
    else:
        configurations = [("", user_options)]
    try:
        plan = plan_suite(suite, methods=methods, seeds=args.seeds, tol=args.tol, time_limit=time_limit,
                          problems=args.problems, data_dir=args.data_dir, plugins=args.plugin,
                          configurations=configurations)
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None
    out = Path(args.out or Path("bench-results") / args.suite)
    store_path = out / "results.jsonl"
    for what, why in plan.skipped:
        print(f"left out {what}: {why}", file=sys.stderr)
    if not plan.tasks:
        raise UsageError("nothing to run: no available method or no problem selected")

    if not args.report_only:
        jobs = args.jobs or usable_cpu_count()
        print(f"{suite_name}{' sensitivity' if sensitivity else ''}: {len(plan.tasks)} runs "
              f"({len(plan.methods)} methods) with {jobs} job(s); results in {store_path}", file=sys.stderr)
        try:
            summary = run_tasks(plan.tasks, store_path, jobs=jobs, kill_after=args.kill_after,
                                retry_statuses=RETRYABLE_STATUSES if args.retry_failed else (),
                                fresh_process_per_run=args.fresh_process,
                                progress=not args.no_progress)
        except KeyboardInterrupt:
            print(f"\ninterrupted: finished runs are saved in {store_path}; rerun the same command to resume",
                  file=sys.stderr)
            return 130
        if summary.store_repaired_bytes:
            print(f"dropped a torn last line ({summary.store_repaired_bytes} bytes) from {store_path}",
                  file=sys.stderr)
        if summary.already_done:
            print(f"{summary.already_done} runs were already in the store; ran {summary.finished}", file=sys.stderr)

    latest = ResultStore(store_path).latest_records()
    records = [latest[key] for key in dict.fromkeys(task.key for task in plan.tasks) if key in latest]
    command = "sketchsqp " + shlex.join(argv)
    if sensitivity:
        from .bench.sensitivity import sensitivity_rows, sensitivity_table

        rows = sensitivity_rows(records)
        table = sensitivity_table(rows)
        figures, notes = [], []
        if not args.no_plots and records:
            try:
                from .bench.plots import plot_sensitivity

                out.mkdir(parents=True, exist_ok=True)
                figures.append(plot_sensitivity(rows, out / "sensitivity.png"))
            except ImportError as exc:  # MissingDependencyError is an ImportError
                notes.append(f"figures not drawn: {exc}")
        # Profiles over every (method, setting) pair would be unreadable: the table and plot say it.
        files = write_report(records, out, title=f"Sensitivity of AdaSketch-Newton on {suite_name}",
                             skipped=plan.skipped, command=command, plots=False, extra_figures=figures,
                             extra_sections=[("Sensitivity to eta1, eta2, delta, beta", table)])
        files.notes.extend(notes)
        print(table)
    else:
        files = write_report(records, out, title=f"Benchmark: {suite_name}", skipped=plan.skipped,
                             command=command, plots=not args.no_plots)
        print(summary_table(records))
        print()
        print(problem_table(records))
    print(f"\nreport: {files.report}" + (f"; figures: {len(files.figures)} PNG in {out}" if files.figures else ""))
    for note in files.notes:
        print(note, file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------------------------- main
def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _build_parser().parse_args(argv)
    try:
        if args.command == "methods":
            return _cmd_methods(args)
        if args.command == "problems":
            return _cmd_problems(args)
        if args.command == "solve":
            return _cmd_solve(args)
        return _cmd_bench(args, argv)
    except (UsageError, SketchSQPError) as exc:  # a usage mistake, bad options, a missing extra
        print(f"sketchsqp: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
