"""Every benchmark suite resolves its problem list and loads at least one problem of each family."""

from __future__ import annotations

import numpy as np
import pytest

from sketchsqp import Problem
from sketchsqp.bench.suites import get_family, get_suite, select_problems, suite_names


@pytest.mark.parametrize("suite_name", sorted(set(suite_names()) - {"sensitivity"}))
def test_suite_loads_a_problem_of_each_family(suite_name):
    selection = select_problems(get_suite(suite_name))
    assert selection.problems, f"suite {suite_name} selects no problem"
    seen = {}
    for ref in selection.problems:
        seen.setdefault(ref.family, ref)
    for family_name, ref in seen.items():
        problem = get_family(family_name).load_problem(ref.name)
        assert isinstance(problem, Problem)
        assert problem.n >= 1 and 0 <= problem.m <= problem.n
        assert np.isfinite(problem.fun(problem.x0))
        assert problem.cons(problem.x0).shape == (problem.m,)
