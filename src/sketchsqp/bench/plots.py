"""PNG figures: performance profiles and KKT-residual-versus-iteration plots.

Drawn with matplotlib's object interface on the Agg canvas, so no display and no global backend
switch are involved.  matplotlib is optional (extra ``plot``): without it these functions raise
:class:`~sketchsqp.errors.MissingDependencyError`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import require
from .aggregate import entry_name, problem_id
from .profiles import PerformanceProfile

_METRIC_TITLES = {"iterations": "outer iterations", "evaluations": "function evaluations (nfev)",
                  "time": "wall-clock time"}


def _new_figure(width: float = 6.4, height: float = 4.4):
    require("matplotlib", extra="plot", feature="benchmark plots")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _line_style(index: int) -> dict[str, Any]:
    """Ten colours, then the same colours dashed, then dotted: distinct lines for up to 30 methods."""
    from matplotlib import colormaps

    colour = colormaps["tab10"](index % 10)
    return {"color": colour, "linestyle": ("-", "--", ":")[(index // 10) % 3]}


def _legend_outside(axes) -> None:
    axes.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize="small", frameon=False)


def safe_file_stem(text: str) -> str:
    """A file-name-safe version of a problem or method name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "unnamed"


def plot_performance_profile(profile: PerformanceProfile, path: str | Path, *, title: str | None = None) -> Path:
    """Step plot of ``rho_s(tau)`` against ``tau`` (log2 axis), one line per solver."""
    figure = _new_figure(8.4, 4.6)
    axes = figure.add_subplot()
    taus = profile.breakpoints()
    tau_max = max(2.0, float(taus.max()) * 1.5)
    grid = np.concatenate([taus, [tau_max]])
    _, rho = profile.curve(grid)
    for index, solver in enumerate(profile.solvers):
        axes.step(grid, rho[:, index], where="post", label=solver, linewidth=1.6, **_line_style(index))
    axes.set_xscale("log", base=2)
    axes.set_xlim(1.0, tau_max)
    axes.set_ylim(-0.02, 1.02)
    axes.set_xlabel("tau (within a factor tau of the best)")
    axes.set_ylabel("fraction of problems")
    metric = _METRIC_TITLES.get(profile.metric, profile.metric)
    axes.set_title(title or f"Performance profile: {metric} ({len(profile.problems)} problems)")
    axes.grid(True, which="both", alpha=0.3)
    _legend_outside(axes)
    path = Path(path)
    figure.savefig(path, dpi=120)
    return path


def convergence_curve(record: Mapping[str, Any]) -> list[float]:
    """KKT residuals at iterations 0, 1, 2, ...: the starting point's, then the solver's log.

    Solvers log either the residual at the start of each iteration (the first entry is then the
    starting point's) or after it; the starting value recomputed by the benchmark is put in front
    only in the second case, so both kinds of log start at iteration 0 from the same point.
    """
    history = [np.nan if value is None else float(value) for value in record.get("kkt_history") or []]
    initial = record.get("kkt_initial")
    if not history or initial is None:
        return history
    if not np.isclose(history[0], initial, rtol=1e-9, atol=0.0):
        history.insert(0, float(initial))
    return history


def plot_convergence(records: Sequence[Mapping[str, Any]], path: str | Path, *, title: str | None = None,
                     tol: float | None = None) -> Path:
    """KKT residual against the iteration (log scale), one line per method (the lowest seed of each)."""
    figure = _new_figure(8.4, 4.6)
    axes = figure.add_subplot()
    chosen: dict[str, Mapping[str, Any]] = {}
    for record in sorted(records, key=lambda r: r["seed"]):
        chosen.setdefault(entry_name(record), record)
    without_history = []
    for index, (entry, record) in enumerate(chosen.items()):
        history = convergence_curve(record)
        if not history:
            without_history.append(entry)
            continue
        axes.semilogy(np.arange(len(history)), history, marker="o", markersize=3, linewidth=1.4,
                      label=f"{entry} ({record.get('status')})", **_line_style(index))
    if without_history:  # the external references report no per-iteration residuals
        axes.text(0.0, -0.16, "no iteration history: " + ", ".join(without_history), transform=axes.transAxes,
                  fontsize="x-small", va="top")
    if tol is not None:
        axes.axhline(tol, color="grey", linestyle="--", linewidth=1, label=f"tol {tol:.0e}")
    axes.set_xlabel("iteration")
    axes.set_ylabel("KKT residual ||(grad L, c)||")
    if records:
        axes.set_title(title or f"{problem_id(records[0])}: KKT residual")
    axes.grid(True, which="both", alpha=0.3)
    _legend_outside(axes)
    path = Path(path)
    figure.savefig(path, dpi=120)
    return path


def plot_sensitivity(rows: Sequence[Mapping[str, Any]], path: str | Path) -> Path:
    """One panel per parameter: total iterations (solved problems) against its value, one line per method.

    ``rows`` are :func:`~sketchsqp.bench.sensitivity.sensitivity_rows` dicts; the solved count is
    written beside every point.
    """
    parameters = list(dict.fromkeys(row["parameter"] for row in rows))
    columns = 2 if len(parameters) > 1 else 1
    lines = (len(parameters) + columns - 1) // columns
    figure = _new_figure(5.0 * columns, 3.6 * lines)
    for index, parameter in enumerate(parameters):
        axes = figure.add_subplot(lines, columns, index + 1)
        mine = [row for row in rows if row["parameter"] == parameter]
        for method in dict.fromkeys(row["method"] for row in mine):
            series = sorted((row for row in mine if row["method"] == method), key=lambda row: row["value"])
            values = [row["value"] for row in series]
            totals = [row["total_nit"] for row in series]
            index = len(axes.lines)  # methods that coincide stay visible: different markers and dashes
            axes.plot(values, totals, marker="osD^v"[index % 5], markersize=7 - index % 3,
                      label=method, **_line_style(index + 10 * (index % 2)))
            for row in series:
                axes.annotate(f"{row['solved']}/{row['problems']}", (row["value"], row["total_nit"]),
                              textcoords="offset points", xytext=(4, 4), fontsize="x-small")
        axes.set_xscale("log")
        axes.set_xlabel(parameter)
        axes.set_ylabel("total iterations (solved)")
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize="x-small")
    figure.suptitle("Sensitivity of AdaSketch-Newton (labels: solved/problems)")
    path = Path(path)
    figure.savefig(path, dpi=120)
    return path
