"""The facilitator guide's lessons name the weeks the runs show.

Each crossing the guide tells a facilitator to pause at carries a marker,
``<!-- crossing: A overtakes|falls-behind B on MEASURE at WEEK -->``, next to the
sentence that names the week. The test runs the two scenarios over 10 seeds,
finds the week from which A stays ahead of (or behind) B on the mean
trajectories, and fails when the guide is more than four weeks off, or when
the sentence does not say the week the marker states.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pytest

from model.claims import Condition, run

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "facilitator.md"
MARKER = re.compile(
    r"<!-- crossing: (\w+) (overtakes|falls-behind) (\w+) on (cumulative_profit|cumulative_revenue) at (\d+) -->"
)
SEEDS = range(10)
TOLERANCE = 4  # weeks

pytestmark = pytest.mark.slow


def markers() -> list[tuple]:
    return MARKER.findall(GUIDE.read_text(encoding="utf-8"))


@functools.cache
def trajectory(scenario: str, measure: str) -> np.ndarray:
    column = "cumulative_profit" if measure == "cumulative_profit" else "revenue"
    runs = [run(Condition(scenario), seed)[column].to_numpy() for seed in SEEDS]
    mean = np.mean(runs, axis=0)
    return mean if measure == "cumulative_profit" else np.cumsum(mean)


def crossing(a: np.ndarray, b: np.ndarray, how: str) -> int:
    """The first week from which ``a`` stays ahead of ``b`` (``overtakes``) or behind it."""
    other_side = (a - b)[1:] <= 0 if how == "overtakes" else (a - b)[1:] > 0
    weeks = np.flatnonzero(other_side) + 1
    return int(weeks.max()) + 1 if len(weeks) else 1


def test_the_guide_marks_its_crossings():
    assert len(markers()) >= 3


@pytest.mark.parametrize("marker", markers(), ids=lambda m: f"{m[0]}-{m[1]}-{m[2]}")
def test_a_lessons_stated_crossing_week_matches_the_runs(marker):
    a, how, b, measure, week = marker
    text = GUIDE.read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if f"<!-- crossing: {a} {how} {b}" in ln)
    paragraph = text[text.index(line) - 600 : text.index(line) + len(line)]
    assert f"week {week}" in paragraph, f"the guide's sentence does not say 'week {week}'"
    found = crossing(trajectory(a, measure), trajectory(b, measure), how)
    assert abs(found - int(week)) <= TOLERANCE, (
        f"{a} {how} {b} on {measure} at week {found}, the guide says {week}"
    )
