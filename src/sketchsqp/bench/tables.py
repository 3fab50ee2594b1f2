"""Markdown tables of benchmark records: a summary per method, a row per problem, the failures.

"Solved" is :func:`~sketchsqp.bench.aggregate.is_solved`: success and a recomputed KKT residual
within the tolerance.
"""

from __future__ import annotations

import statistics
from typing import Any, Iterable, Mapping, Sequence

from .aggregate import Aggregate, aggregate, is_solved, problem_id


def _fmt_number(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "-"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.{digits}g}"


def _fmt_seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]], align: Sequence[str] | None = None) -> str:
    """A GitHub-flavoured Markdown table; ``align`` holds ``"l"`` or ``"r"`` per column (default: left, then right)."""
    header = [str(cell) for cell in header]
    align = align or ["l"] + ["r"] * (len(header) - 1)
    rule = [":--" if a == "l" else "--:" for a in align]
    lines = ["| " + " | ".join(_escape(cell) for cell in header) + " |", "| " + " | ".join(rule) + " |"]
    for row in rows:
        lines.append("| " + " | ".join(_escape(str(cell)) for cell in row) + " |")
    return "\n".join(lines)


def problem_labels(agg: Aggregate) -> dict[str, str]:
    """Display names: the bare problem name, qualified by its family where two families share it."""
    short = {pid: pid.partition(":")[2] for pid in agg.problems}
    counts: dict[str, int] = {}
    for name in short.values():
        counts[name] = counts.get(name, 0) + 1
    return {pid: (name if counts[name] == 1 else pid) for pid, name in short.items()}


def summary_rows(agg: Aggregate) -> list[dict[str, Any]]:
    """Per entry: problems attempted, solved, and medians over the solved problems."""
    rows = []
    for entry in agg.entries:
        cells = [cell for problem in agg.problems if (cell := agg.cell(entry, problem)) is not None]
        solved = [cell for cell in cells if cell.solved]

        def median_of(field: str) -> float | None:
            values = [value for cell in solved if (value := cell.median(field)) is not None]
            return statistics.median(values) if values else None

        rows.append({"method": entry, "problems": len(cells), "solved": len(solved),
                     "median_nit": median_of("nit"), "median_nfev": median_of("nfev"),
                     "median_time": median_of("time")})
    return rows


def summary_table(records: Iterable[Mapping[str, Any]] | Aggregate) -> str:
    """One row per method: solved count and medians of iterations, evaluations and time (solved problems)."""
    agg = records if isinstance(records, Aggregate) else aggregate(records)
    rows = [(row["method"], f"{row['solved']}/{row['problems']}", _fmt_number(row["median_nit"]),
             _fmt_number(row["median_nfev"]), _fmt_seconds(row["median_time"]))
            for row in summary_rows(agg)]
    return markdown_table(["method", "solved", "median iterations", "median evaluations (nfev)", "median time (s)"],
                          rows)


def _cell_text(cell) -> str:
    if cell is None:
        return "-"
    nit, seconds = _fmt_number(cell.median("nit")), _fmt_seconds(cell.median("time"))
    solved, runs = len(cell.solved_runs), len(cell.runs)
    if solved == runs:
        return f"{nit} / {seconds}"
    if solved == 0:
        return f"{cell.status} {nit} / {seconds}"
    return f"{solved}/{runs} solved: {nit} / {seconds}"


def problem_table(records: Iterable[Mapping[str, Any]] | Aggregate) -> str:
    """One row per problem: name, n, m, then per method ``iterations / seconds`` (status first when unsolved)."""
    agg = records if isinstance(records, Aggregate) else aggregate(records)
    labels = problem_labels(agg)
    rows = []
    for problem in agg.problems:
        n, m = agg.sizes.get(problem, (None, None))
        rows.append([labels[problem], _fmt_number(n), _fmt_number(m)]
                    + [_cell_text(agg.cell(entry, problem)) for entry in agg.entries])
    return markdown_table(["problem", "n", "m", *agg.entries], rows)


def failure_reason(record: Mapping[str, Any]) -> str:
    """Why a run does not count as solved, in one line."""
    from ..status import Status

    status = record.get("status")
    if record.get("success"):
        check = record.get("kkt_check")
        shown = "unavailable" if check is None else f"{check:.3g}"
        return f"reported success, but the recomputed KKT residual is {shown} > tol {record.get('tol'):.3g}"
    if record.get("error"):
        lines = [line for line in str(record["error"]).splitlines() if line.strip()]
        return lines[-1].strip()[:200] if lines else ""
    reason = Status[status].message if status in Status.__members__ else str(status)
    if record.get("detail"):
        reason += f" ({str(record['detail'])[:200]})"
    return reason


def failure_table(records: Iterable[Mapping[str, Any]]) -> str:
    """Every run that was not solved: method, problem, seed, status, recomputed KKT residual, reason."""
    rows = []
    for record in records:
        if is_solved(record):
            continue
        label = f" [{record['label']}]" if record.get("label") else ""
        check = record.get("kkt_check")
        rows.append([record["method"] + label, problem_id(record), record["seed"], record.get("status"),
                     "-" if check is None else f"{check:.3g}", failure_reason(record)])
    if not rows:
        return "Every run was solved."
    return markdown_table(["method", "problem", "seed", "status", "KKT (recomputed)", "why"], rows,
                          align=["l", "l", "r", "l", "r", "l"])

