"""The benchmark report: a Markdown file with the tables, and the PNG figures beside it."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..errors import MissingDependencyError
from .aggregate import problem_id
from .environment import library_version, machine_info, utc_timestamp
from .profiles import profiles_from_records
from .suites import get_family
from .tables import failure_table, problem_table, summary_table


@dataclasses.dataclass
class ReportFiles:
    """What :func:`write_report` wrote, and why figures are missing when they are."""

    report: Path
    figures: list[Path]
    notes: list[str]


def _header(title: str, records: Sequence[Mapping[str, Any]], command: str | None) -> list[str]:
    machine = machine_info()
    tolerances = sorted({record["tol"] for record in records if record.get("tol") is not None})
    limits = sorted({record["time_limit"] for record in records if record.get("time_limit") is not None})
    seeds = sorted({record["seed"] for record in records})
    lines = [f"# {title}", ""]
    if command:
        lines += [f"Command: `{command}`", ""]
    lines += [
        f"* written {utc_timestamp()} by sketchsqp {library_version()}",
        f"* machine: {machine['platform']}, {machine['usable_cpus']} usable CPUs, Python {machine['python']}, "
        f"NumPy {machine['numpy']}, SciPy {machine['scipy']}",
        f"* runs: {len(records)}; seeds: {', '.join(map(str, seeds)) or '-'}; KKT tolerance: "
        f"{', '.join(f'{tol:g}' for tol in tolerances) or '-'}; time limit per run (s): "
        f"{', '.join(f'{limit:g}' for limit in limits) or 'none'}",
        "* solved = the method reported success **and** the KKT residual ||(grad f + J^T y, c)||_2 recomputed "
        "at its returned point is within the tolerance; medians are over solved problems; cells read "
        "`iterations / seconds`, with the status first when the problem was not solved "
        "(`CONVERGED*`: success reported but the recomputed residual is above the tolerance).",
        "",
    ]
    return lines


def write_report(records: Sequence[Mapping[str, Any]], out_dir: str | Path, *, title: str,
                 skipped: Sequence[tuple[str, str]] = (), command: str | None = None, plots: bool = True,
                 extra_sections: Sequence[tuple[str, str]] = (), extra_figures: Sequence[Path] = ()) -> ReportFiles:
    """Write ``report.md`` (and the figures) into ``out_dir``.

    Parameters
    ----------
    records : one per run (the latest record of every run of the benchmark).
    skipped : ``(what, why)`` pairs for methods and problems left out.
    plots : draw the performance profiles, and convergence plots for the families that ask for them.
    extra_sections : ``(heading, markdown)`` appended after the tables.
    extra_figures : figures drawn elsewhere, in ``out_dir``, to list with the others.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    figures: list[Path] = [Path(path) for path in extra_figures]
    notes: list[str] = []
    if plots and records:
        try:
            figures += draw_figures(records, out_dir)
        except MissingDependencyError as exc:
            notes.append(f"figures not drawn: {exc}")
    lines = _header(title, records, command)
    lines += ["## Summary per method", "", summary_table(records), "",
              "## Per problem", "", problem_table(records), "",
              "## Runs not solved", "", failure_table(records), ""]
    for heading, body in extra_sections:
        lines += [f"## {heading}", "", body, ""]
    if skipped:
        lines += ["## Left out", ""] + [f"* {what}: {why}" for what, why in skipped] + [""]
    if figures or notes:
        lines += ["## Figures", ""]
        lines += [f"![{path.stem}]({path.name})" for path in figures]
        lines += [f"* {note}" for note in notes] + [""]
    report = out_dir / "report.md"
    report.write_text("\n".join(lines))
    return ReportFiles(report, figures, notes)


def draw_figures(records: Sequence[Mapping[str, Any]], out_dir: Path) -> list[Path]:
    """Performance profiles (iterations, evaluations, time) and per-problem convergence plots."""
    from .plots import plot_convergence, plot_performance_profile, safe_file_stem

    figures = []
    for metric, profile in profiles_from_records(records).items():
        if profile.solvers and profile.problems:
            figures.append(plot_performance_profile(profile, out_dir / f"profile-{metric}.png"))
    by_problem: dict[str, list[Mapping[str, Any]]] = {}
    for record in records:
        by_problem.setdefault(problem_id(record), []).append(record)
    for pid, runs in by_problem.items():
        try:
            wanted = get_family(runs[0]["family"]).convergence_plots
        except KeyError:
            wanted = False
        if wanted and any(run.get("kkt_history") for run in runs):
            tol = runs[0].get("tol")
            figures.append(plot_convergence(runs, out_dir / f"kkt-{safe_file_stem(pid)}.png",
                                            tol=tol if tol is not None and math.isfinite(tol) else None))
    return figures
