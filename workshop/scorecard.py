"""The balanced scorecard behind the leaderboard.

Five measures, each read at the end of a round:

* cumulative profit since the start (higher is better);
* NPS of the active customers (higher);
* active customers (higher);
* employee turnover: quits per year over all the weeks played, i.e. 52 x the
  mean weekly quit rate (lower is better);
* customer focus: the mean customer-centricity of the staff (higher).

Normalisation, per measure and per round, across the teams: the best team
gets 100, the worst 0, the others in proportion to where they lie between
(min-max). Scores read as "per cent of the way from the room's worst to its
best". When every team has the same value the measure cannot separate them,
and everyone gets 100 on it; a team with no value (NPS with no customers left)
gets 0. The score is the weighted mean of the five, with the facilitator's
weights (non-negative, scaled to sum to 1). Ties share a rank (1, 2, 2, 4).
Min-max exaggerates small gaps in a close room and lets one outlier squeeze
the rest; the leaderboard shows the raw measures beside the points for that reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from workshop.errors import InvalidInput


@dataclass(frozen=True)
class Measure:
    label: str
    unit: str
    higher_is_better: bool
    metric: str  # the weekly metric (``model.metrics.METRICS``) it is read from


MEASURES: dict[str, Measure] = {
    "cumulative_profit": Measure("Cumulative profit", "currency", True, "cumulative_profit"),
    "nps": Measure("NPS", "points", True, "nps"),
    "active_customers": Measure("Active customers", "customers", True, "active_customers"),
    "employee_turnover": Measure("Employee turnover", "share per year", False, "employee_turnover"),
    "customer_focus": Measure("Customer focus", "0..1", True, "culture_mean"),
}
DEFAULT_WEIGHTS: dict[str, float] = dict.fromkeys(MEASURES, 1.0)


def per_year(rate: float) -> str:
    """A yearly rate (employee turnover) as the pages and the debrief show it: ``22%/yr``."""
    return f"{100 * rate:.0f}%/yr"


def kpis(columns: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """The measures of one firm from its weekly metrics so far (week 0 first)."""
    out = {name: float(columns[m.metric][-1]) for name, m in MEASURES.items()}
    quits = columns[MEASURES["employee_turnover"].metric][1:]
    out["employee_turnover"] = 52.0 * float(sum(quits)) / len(quits) if len(quits) else 0.0
    return out


def check_weights(weights: object) -> dict[str, float]:
    """Validated weights for every measure (missing ones 0 when some are given).

    Raises:
        InvalidInput: unknown measure, negative or non-numeric weight, or all zero.
    """
    if not isinstance(weights, Mapping) or not weights:
        raise InvalidInput(f"weights must map measures to numbers; measures: {', '.join(MEASURES)}")
    out = dict.fromkeys(MEASURES, 0.0)
    for name, value in weights.items():
        if name not in MEASURES:
            raise InvalidInput(f"unknown measure '{name}' (measures: {', '.join(MEASURES)})")
        if isinstance(value, bool) or not isinstance(value, int | float) or not (0 <= value < math.inf):
            raise InvalidInput(f"weight of {name} must be a number >= 0, got {value!r}")
        out[name] = float(value)
    if sum(out.values()) <= 0:
        raise InvalidInput("at least one weight must be above 0")
    return out


def points(values: Mapping[str, float], higher_is_better: bool) -> dict[str, float]:
    """Min-max points 0..100 of each team's value of one measure (see the module docstring)."""
    known = {t: v for t, v in values.items() if v is not None and math.isfinite(v)}
    if not known:
        return dict.fromkeys(values, 0.0)
    lo, hi = min(known.values()), max(known.values())
    span = hi - lo
    out = {}
    for team, value in values.items():
        if team not in known:
            out[team] = 0.0
        elif span <= 1e-12 * max(1.0, abs(hi)):
            out[team] = 100.0
        else:
            share = (value - lo) / span
            out[team] = 100.0 * (share if higher_is_better else 1.0 - share)
    return out


@dataclass(frozen=True)
class Standing:
    """One team's line on the leaderboard."""

    team: str
    rank: int
    score: float
    points: dict[str, float]  # per measure, 0..100
    values: dict[str, float]  # per measure, raw


def leaderboard(measures: Mapping[str, Mapping[str, float]], weights: Mapping[str, float]) -> list[Standing]:
    """Teams ranked by weighted score; ``measures`` maps team -> measure -> value."""
    weights = check_weights(weights)
    total = sum(weights.values())
    per_measure = {
        m: points({t: v.get(m) for t, v in measures.items()}, spec.higher_is_better)
        for m, spec in MEASURES.items()
    }
    scores = {t: sum(weights[m] * per_measure[m][t] for m in MEASURES) / total for t in measures}
    ordered = sorted(measures, key=lambda t: (-round(scores[t], 9), t))
    out, rank = [], 0
    for i, team in enumerate(ordered):
        if i == 0 or round(scores[team], 9) != round(scores[ordered[i - 1]], 9):
            rank = i + 1
        out.append(
            Standing(
                team, rank, scores[team], {m: per_measure[m][team] for m in MEASURES}, dict(measures[team])
            )
        )
    return out
