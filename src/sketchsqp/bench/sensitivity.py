"""Sensitivity of AdaSketch-Newton to its parameters eta1, eta2, delta and beta (paper, Sec. 5).

Each parameter moves over its range with the others at the paper's defaults (one at a time); the
study reports, per method and setting, the problems solved and the total and median iterations
over the solved problems.  Settings that coincide with the defaults are run once (label
``default``).
"""

from __future__ import annotations

import math
import statistics
from typing import Any, Iterable, Mapping, Sequence

from .aggregate import aggregate
from .tables import markdown_table

#: The paper's defaults of the four parameters (ALGORITHM.md, "Defaults").
PAPER_DEFAULTS: dict[str, float] = {"eta1": 1.0, "eta2": 0.1, "delta": 0.1, "beta": 0.1}

#: The values each parameter takes; each range brackets the default by a factor of ten either side
#: (beta must stay below 1/2 for the Armijo test of the exact augmented Lagrangian).
SENSITIVITY_RANGES: dict[str, tuple[float, ...]] = {
    "eta1": (0.1, 1.0, 10.0),
    "eta2": (0.01, 0.1, 1.0),
    "delta": (0.01, 0.1, 1.0),
    "beta": (0.01, 0.1, 0.3),
}

#: Methods studied by default (those registered and available are used).
SENSITIVITY_METHODS = ("adasketch-gaussian", "adasketch-kaczmarz")
DEFAULT_LABEL = "default"


def _label(parameter: str, value: float) -> str:
    return f"{parameter}={value:g}"


def sensitivity_configurations(ranges: Mapping[str, Sequence[float]] = SENSITIVITY_RANGES,
                               defaults: Mapping[str, float] = PAPER_DEFAULTS) -> list[tuple[str, dict[str, float]]]:
    """``(label, options)`` for the defaults and every one-at-a-time change of a parameter."""
    configurations = [(DEFAULT_LABEL, dict(defaults))]
    for parameter, values in ranges.items():
        for value in values:
            options = {**defaults, parameter: float(value)}
            if all(math.isclose(options[key], defaults[key]) for key in defaults):
                continue
            configurations.append((_label(parameter, value), options))
    return configurations


def _matches(record: Mapping[str, Any], options: Mapping[str, float]) -> bool:
    stored = record.get("options") or {}
    return all(key in stored and math.isclose(stored[key], value) for key, value in options.items())


def sensitivity_rows(records: Sequence[Mapping[str, Any]], ranges: Mapping[str, Sequence[float]] = SENSITIVITY_RANGES,
                     defaults: Mapping[str, float] = PAPER_DEFAULTS) -> list[dict[str, Any]]:
    """Per method, parameter and value: problems, solved, total and median iterations of the solved ones."""
    rows = []
    methods = list(dict.fromkeys(record["method"] for record in records))
    for method in methods:
        mine = [record for record in records if record["method"] == method]
        for parameter, values in ranges.items():
            for value in values:
                options = {**defaults, parameter: float(value)}
                selected = [{**record, "label": ""} for record in mine if _matches(record, options)]
                agg = aggregate(selected)
                cells = [agg.cell(method, problem) for problem in agg.problems]
                solved = [cell for cell in cells if cell is not None and cell.solved]
                iterations = [cell.median("nit") for cell in solved if cell.median("nit") is not None]
                rows.append({"method": method, "parameter": parameter, "value": float(value),
                             "problems": len(cells), "solved": len(solved),
                             "total_nit": float(sum(iterations)),
                             "median_nit": statistics.median(iterations) if iterations else None})
    return rows


def sensitivity_table(rows: Iterable[Mapping[str, Any]]) -> str:
    """Markdown: method, parameter, value (default marked), solved, total and median iterations."""
    body = []
    for row in rows:
        default = math.isclose(row["value"], PAPER_DEFAULTS.get(row["parameter"], math.nan))
        value = f"{row['value']:g}" + (" (default)" if default else "")
        median = "-" if row["median_nit"] is None else f"{row['median_nit']:g}"
        body.append([row["method"], row["parameter"], value, f"{row['solved']}/{row['problems']}",
                     f"{row['total_nit']:g}", median])
    return markdown_table(["method", "parameter", "value", "solved", "total iterations (solved)",
                           "median iterations"], body, align=["l", "l", "r", "r", "r", "r"])
