"""Scaling benchmark: AdaSketch-Newton inner solvers on the PDE control problem, N = 32 .. 1024.

Every run (one method on one problem) happens in its own subprocess, so that its peak resident
memory is its own and a per-run wall-clock cap can stop it.  A run asks for the KKT residual to
fall by ``--reduction`` (default 1e-8) relative to the start.  References in the same sweep, per
problem: one sparse direct solve of the KKT system with ``scipy.sparse.linalg.spsolve`` (SuperLU)
and with each installed LDL^T backend (factorization plus one solve), and IPOPT through cyipopt
where installed.  The reference KKT matrix is the one at the starting point: for the linear
variant that *is* the matrix at the solution (it does not depend on the point); for the
semilinear variant only diagonal values differ, so the factorization cost is the same.

Output in ``--out``: ``runs.jsonl`` (one record per run), ``pde_scaling.md`` (tables) and
``pde_scaling.png`` (log-log wall time versus unknowns).  Example::

    python benchmarks/pde_scaling.py --sizes 32 64 128 256 512 1024 --variants linear semilinear \\
        --methods adasketch adasketch-direct adasketch-minres --cap 600 --out benchmarks/results
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_METHODS = ("adasketch", "adasketch-direct", "adasketch-minres", "adasketch-gmres", "adasketch-block",
                   "adasketch-kaczmarz")
REFERENCES = ("spsolve", "ldl-pardiso", "ldl-qdldl", "ipopt")


# ---------------------------------------------------------------------------------------------- worker
def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # Linux: KiB


def _problem(size: int, variant: str):
    from sketchsqp.problems.pde import pde_control_problem

    return pde_control_problem(size, variant=variant)


def _worker_method(task: dict) -> dict:
    from sketchsqp.api import solve_problem

    problem = _problem(task["size"], task["variant"])
    start_residual = problem.kkt_residual(problem.x0, problem.y0)
    options = {"tol": task["target_reduction"] * start_residual, "time_limit": task["cap"],
               "max_inner_iter": task["max_inner_iter"], **task.get("options", {})}
    started = time.perf_counter()
    result = solve_problem(problem, task["method"], options=options, seed=0)
    wall = time.perf_counter() - started
    final = problem.kkt_residual(result.x, result.y)  # recomputed independently of the solver
    return {"status": result.status.name, "wall_s": wall, "nit": result.nit, "inner": result.inner_iterations,
            "kkt_start": start_residual, "kkt_final": final, "reduction": final / start_residual,
            "inner_solver": result.info.get("inner_solver"), "factorizations": result.info.get("factorizations"),
            "hessian_rules": result.info.get("hessian_modification_rules")}


def _reference_system(problem):
    import numpy as np
    import scipy.sparse as sp

    x, y = problem.x0, problem.y0
    jac = sp.csr_array(problem.jac(x))
    hess = sp.csr_array(problem.hess(x, y))
    kkt = sp.csc_array(sp.block_array([[hess, jac.T], [jac, None]]))
    rhs = -np.concatenate([problem.grad(x) + jac.T @ y, problem.cons(x)])
    return hess, jac, kkt, rhs


def _worker_reference(task: dict) -> dict:
    import numpy as np

    problem = _problem(task["size"], task["variant"])
    name = task["method"]
    if name == "ipopt":
        from sketchsqp.solvers.external.ipopt import solve_ipopt

        start_residual = problem.kkt_residual(problem.x0, problem.y0)
        started = time.perf_counter()
        result = solve_ipopt(problem, {"tol": task["target_reduction"] * start_residual, "time_limit": task["cap"],
                                       "max_iter": 3000})
        wall = time.perf_counter() - started
        final = problem.kkt_residual(result.x, result.y)
        return {"status": result.status.name, "wall_s": wall, "nit": result.nit, "inner": 0,
                "kkt_start": start_residual, "kkt_final": final, "reduction": final / start_residual}
    hess, jac, kkt, rhs = _reference_system(problem)
    started = time.perf_counter()
    if name == "spsolve":
        from scipy.sparse.linalg import spsolve

        z = spsolve(kkt, rhs)
    else:
        from sketchsqp.linalg.direct import KKTUpperPattern, LDLFactorization

        backend = name.split("-", 1)[1]
        factorization = LDLFactorization(KKTUpperPattern.build(hess, jac), 0.0, 1e-8, backend)
        z = factorization.solve(rhs)
        factorization.release()
    wall = time.perf_counter() - started
    residual = float(np.linalg.norm(kkt @ z - rhs) / np.linalg.norm(rhs))
    return {"status": "SOLVED", "wall_s": wall, "nit": 1, "inner": 1, "relative_residual": residual}


def _worker_main(payload: str) -> None:
    task = json.loads(payload)
    try:
        record = _worker_reference(task) if task["kind"] == "reference" else _worker_method(task)
    except Exception as exc:  # a failing run is a data point, not a crash of the sweep
        record = {"status": f"ERROR {type(exc).__name__}: {exc}"[:300]}
    record["peak_rss_gib"] = _peak_rss_gib()
    print("RESULT " + json.dumps(record), flush=True)


# ---------------------------------------------------------------------------------------------- sketch study
def _kkt_at_start(size: int):
    import numpy as np

    from sketchsqp.linalg import KKTOperator

    problem = _problem(size, "linear")
    x, y = problem.x0, problem.y0
    jac = problem.jac(x)
    kkt = KKTOperator(problem.hess(x, y), jac, storage="sparse")
    rhs = -np.concatenate([problem.grad(x) + jac.T @ y, problem.cons(x)])
    return kkt, rhs


def _sketch_solvers(block_size: int) -> dict:
    from sketchsqp.linalg import (BlockSketchSolver, GaussianBlockSketch, GaussianSketchSolver, KaczmarzSolver,
                                  RowBlockSketch, SparseSignSketch)

    # "-plain": the paper's iteration, without the subspace extrapolation
    return {"kaczmarz": KaczmarzSolver(), "kaczmarz-python": KaczmarzSolver(compiled=False),
            "kaczmarz-plain": KaczmarzSolver(subspace_memory=0),
            "gaussian": GaussianSketchSolver(), "gaussian-plain": GaussianSketchSolver(subspace_memory=0),
            "block-row": BlockSketchSolver(RowBlockSketch(block_size)),
            "block-gaussian": BlockSketchSolver(GaussianBlockSketch(block_size)),
            "block-sparse-sign": BlockSketchSolver(SparseSignSketch(block_size))}


def _time_iterations(solver, kkt, rhs, iterations: int) -> float:
    import numpy as np

    state = solver.start(kkt, rhs, np.random.default_rng(0))
    solver.run(state, 0.0, min(iterations, 50), math.inf)  # warm-up (numba compilation, caches)
    started = time.perf_counter()
    outcome = solver.run(state, 0.0, iterations, math.inf)
    return (time.perf_counter() - started) / max(outcome.iterations, 1)


def sketch_study(args) -> None:
    """Cost per inner iteration versus nnz(K) (N = 32..256) and block versus vector sketch at N = 64."""
    import numpy as np

    lines = ["# Sketching inner solvers on the PDE KKT system (linear variant, at x0)", "",
             f"Command: `python benchmarks/pde_scaling.py {' '.join(sys.argv[1:])}`", "",
             "## Cost per inner iteration versus nnz(K)", "",
             "Kaczmarz: one step touches one row (O(nnz(row))) and the full residual is recomputed once per "
             "sweep of N steps, so the cost per *sweep* is the quantity linear in nnz(K).", "",
             "| N | size | nnz(K) | " + " | ".join(_sketch_solvers(args.block_size)) + " |",
             "|---:|---:|---:|" + "---:|" * len(_sketch_solvers(args.block_size))]
    sizes = [s for s in args.sizes if s <= 256] or [32, 64, 128, 256]
    per_iteration: dict[str, list[tuple[int, float]]] = {}
    for size in sizes:
        kkt, rhs = _kkt_at_start(size)
        row = [str(size), str(kkt.size), str(kkt.nnz)]
        for name, solver in _sketch_solvers(args.block_size).items():
            if name.startswith("kaczmarz"):
                iterations = kkt.size * (1 if name == "kaczmarz-python" else 3)
                cost = _time_iterations(solver, kkt, rhs, iterations) * kkt.size  # per sweep
            else:
                iterations = 200 if name.startswith("gaussian") else 40
                cost = _time_iterations(solver, kkt, rhs, iterations)
            per_iteration.setdefault(name, []).append((kkt.nnz, cost))
            row.append(f"{cost * 1e3:.3f} ms")
        lines.append("| " + " | ".join(row) + " |")
        print("cost", size, row, flush=True)
    lines += ["", "Fitted exponent p in cost ~ nnz(K)^p (least squares on log-log; Kaczmarz per sweep):", ""]
    for name, points in per_iteration.items():
        nnz, cost = np.log(np.array(points)).T
        slope = float(np.polyfit(nnz, cost, 1)[0])
        lines.append(f"* {name}: p = {slope:.2f}")
    # Block versus vector Gaussian sketch to the same residual on N = 64.
    kkt, rhs = _kkt_at_start(args.study_size)
    rng_seed = 0
    gaussian = _sketch_solvers(args.block_size)["gaussian"]
    target = args.study_target * float(np.linalg.norm(rhs))
    state = gaussian.start(kkt, rhs, np.random.default_rng(rng_seed))
    started = time.perf_counter()
    outcome = gaussian.run(state, target, 10**9, started + args.study_budget)
    gaussian_time = time.perf_counter() - started
    gaussian_reached = outcome.status.name == "REACHED"
    bound = "" if gaussian_reached else ">= "
    lines += ["", f"## Time to ||r|| <= {args.study_target:g} ||b|| on N = {args.study_size} (size {kkt.size})", "",
              f"Sketch-and-project decreases the error ||z - z*|| monotonically, not the residual.  The Gaussian "
              f"vector sketch {'reached the target' if gaussian_reached else 'did not reach the target'} in "
              f"{gaussian_time:.1f} s ({state.iterations} steps; ||r|| {np.linalg.norm(rhs):.4e} -> "
              f"{state.residual_norm:.4e}); a speed-up with '>=' is a lower bound.", "",
              "| solver | status | wall s | iterations | speed-up vs gaussian |", "|---|---|---:|---:|---:|",
              f"| gaussian | {outcome.status.name} | {gaussian_time:.2f} | {state.iterations} | 1.0 |"]
    for name, solver in _sketch_solvers(args.block_size).items():
        if name == "gaussian":
            continue
        state = solver.start(kkt, rhs, np.random.default_rng(rng_seed))
        started = time.perf_counter()
        outcome = solver.run(state, target, 10**9, started + 5 * args.study_budget)
        wall = time.perf_counter() - started
        speedup = f"{bound}{gaussian_time / wall:.1f}" if outcome.status.name == "REACHED" else "-"
        lines.append(f"| {name} | {outcome.status.name} | {wall:.2f} | {state.iterations} | {speedup} |")
        print("same-residual", name, wall, outcome.status.name, flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sketch_study.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


# ---------------------------------------------------------------------------------------------- driver
def _run_task(task: dict, cap: float) -> dict:
    started = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, __file__, "--worker", json.dumps(task)], capture_output=True,
                              text=True, timeout=cap * 1.2 + 60)
    except subprocess.TimeoutExpired:
        return {**task, "status": "CAPPED", "wall_s": time.perf_counter() - started}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return {**task, **json.loads(line[len("RESULT "):])}
    return {**task, "status": f"CRASHED rc={proc.returncode}: {proc.stderr.strip()[-300:]}"}


def _available(name: str) -> bool:
    import importlib.util

    if name == "ipopt":
        return importlib.util.find_spec("cyipopt") is not None and \
            importlib.util.find_spec("sketchsqp.solvers.external.ipopt") is not None
    if name.startswith("ldl-"):
        from sketchsqp.linalg.direct import backend_available

        return backend_available(name.split("-", 1)[1])
    return True


def _format(value, spec: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return format(value, spec)


def _write_markdown(records: list[dict], path: Path, args) -> None:
    lines = ["# PDE control scaling benchmark", "",
             f"Command: `python benchmarks/pde_scaling.py {' '.join(sys.argv[1:])}`", "",
             f"Target: KKT residual reduced by {args.reduction:g} relative to the start (x0 = y0 = ones); per-run cap "
             f"{args.cap:g} s; machine: {os.cpu_count()} cores.  Wall time is the whole solve (evaluations, "
             f"Hessian modification, inner solves, line search); peak RSS is the run's own process.", ""]
    for variant in args.variants:
        lines += [f"## {variant}", "",
                  "| N | unknowns n+m | method | status | wall s | peak RSS GiB | outer | inner | final KKT | reduction |",
                  "|---:|---:|---|---|---:|---:|---:|---:|---:|---:|"]
        for rec in records:
            if rec["variant"] != variant:
                continue
            unknowns = 3 * rec["size"] ** 2
            final = rec.get("kkt_final", rec.get("relative_residual"))
            lines.append(f"| {rec['size']} | {unknowns} | {rec['method']} | {rec['status']} | "
                         f"{_format(rec.get('wall_s'), '.2f')} | {_format(rec.get('peak_rss_gib'), '.2f')} | "
                         f"{_format(rec.get('nit'), 'd')} | {_format(rec.get('inner'), 'd')} | "
                         f"{_format(final, '.2e')} | {_format(rec.get('reduction'), '.1e')} |")
        lines.append("")
    path.write_text("\n".join(lines) + "\n")


def _plot(records: list[dict], path: Path, variants) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(variants), figsize=(6.5 * len(variants), 4.8), squeeze=False)
    for ax, variant in zip(axes[0], variants):
        methods = sorted({r["method"] for r in records if r["variant"] == variant})
        for method in methods:
            points = sorted((3 * r["size"] ** 2, r["wall_s"]) for r in records
                            if r["variant"] == variant and r["method"] == method and r.get("wall_s")
                            and r["status"] in ("CONVERGED", "SOLVED"))
            if points:
                style = "--" if method in REFERENCES else "-"
                ax.loglog(*zip(*points), style, marker="o", label=method)
        ax.set_xlabel("unknowns n + m")
        ax.set_ylabel("wall time [s]")
        ax.set_title(f"PDE control, {variant}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 128, 256, 512, 1024])
    parser.add_argument("--variants", nargs="+", default=["linear", "semilinear"], choices=["linear", "semilinear"])
    parser.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS))
    parser.add_argument("--references", nargs="*", default=list(REFERENCES), choices=list(REFERENCES))
    parser.add_argument("--cap", type=float, default=600.0, help="per-run wall-clock cap in seconds")
    parser.add_argument("--reduction", type=float, default=1e-8, help="KKT residual reduction asked for")
    parser.add_argument("--max-inner-iter", type=int, default=10**7)
    parser.add_argument("--initial-multipliers", choices=["given", "least-squares"], default="given",
                        help="start our methods from the problem's y0 (all ones, the paper) or from least-squares "
                             "multipliers, as IPOPT does")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--skip-after-cap", action="store_true", default=True,
                        help="once a method hits the cap, skip it at larger N (default)")
    parser.add_argument("--sketch-study", action="store_true",
                        help="instead of the sweep: sketching cost per iteration vs nnz(K), block vs vector sketch")
    parser.add_argument("--block-size", type=int, default=64)
    parser.add_argument("--study-size", type=int, default=64, help="grid size of the block-vs-vector comparison")
    parser.add_argument("--study-budget", type=float, default=60.0, help="seconds the Gaussian vector sketch runs")
    parser.add_argument("--study-target", type=float, default=0.9, help="relative residual of the comparison")
    parser.add_argument("--render", type=Path, nargs="+",
                        help="instead of running: redraw the table and plot from these runs.jsonl files")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker_main(args.worker)
        return
    if args.sketch_study:
        sketch_study(args)
        return
    if args.render:
        records = [json.loads(line) for path in args.render for line in path.read_text().splitlines() if line]
        records.sort(key=lambda r: (r["variant"], r["size"], r["kind"], r["method"]))
        args.variants = [v for v in args.variants if any(r["variant"] == v for r in records)]
        args.out.mkdir(parents=True, exist_ok=True)
        _write_markdown(records, args.out / "pde_scaling.md", args)
        _plot(records, args.out / "pde_scaling.png", args.variants)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    log_path = args.out / "runs.jsonl"
    records: list[dict] = []
    capped: set[tuple[str, str]] = set()
    entries = [("method", m) for m in args.methods] + [("reference", r) for r in args.references if _available(r)]
    for variant in args.variants:
        for size in sorted(args.sizes):
            for kind, name in entries:
                if (variant, name) in capped:
                    records.append({"kind": kind, "method": name, "variant": variant, "size": size,
                                    "status": "SKIPPED (capped at a smaller N)"})
                    continue
                task = {"kind": kind, "method": name, "variant": variant, "size": size, "cap": args.cap,
                        "target_reduction": args.reduction, "max_inner_iter": args.max_inner_iter,
                        "options": {"initial_multipliers": args.initial_multipliers}}
                record = _run_task(task, args.cap)
                records.append(record)
                with log_path.open("a") as handle:
                    handle.write(json.dumps(record) + "\n")
                print(f"{variant:10s} N={size:5d} {name:20s} {record['status'][:40]:40s} "
                      f"wall={_format(record.get('wall_s'), '.2f')} s rss={_format(record.get('peak_rss_gib'), '.2f')} GiB "
                      f"nit={record.get('nit', '-')} inner={record.get('inner', '-')} "
                      f"red={_format(record.get('reduction'), '.1e')}", flush=True)
                too_slow = record["status"] in ("CAPPED", "TIME_LIMIT") or \
                    (record.get("wall_s") or 0) > args.cap
                if too_slow and args.skip_after_cap:
                    capped.add((variant, name))
    _write_markdown(records, args.out / "pde_scaling.md", args)
    _plot(records, args.out / "pde_scaling.png", args.variants)
    print(f"wrote {args.out / 'pde_scaling.md'} and {args.out / 'pde_scaling.png'}")


if __name__ == "__main__":
    main()
