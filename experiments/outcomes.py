"""Outcomes as data: what a spec's analysis reads from each run's per-step table.

An outcome is a metric summarised over a run. A bare metric name means its value
at the last recorded step; a spec can declare others in ``[outcomes]``::

    [outcomes]
    nps_last_year = { metric = "nps", stat = "mean", weeks = [104, 156] }
    worst_nps     = { metric = "nps", stat = "min" }
    profit_week52 = { metric = "cumulative_profit", stat = "at", week = 52 }
    recovered     = { metric = "culture_mean", stat = "first_above", threshold = "initial", after = 4 }
    break_even    = { metric = "revenue", stat = "overtakes", other = "cost" }

Statistics: ``final``, ``mean``/``min``/``max`` over ``weeks`` (inclusive; all
recorded weeks by default), ``at`` a week, ``first_above``/``first_below`` (the
first recorded week from ``after`` on where the metric is above/below
``threshold``, a number or ``"initial"`` for its week-0 value; NaN if never), and
``overtakes`` (the first recorded week from ``after`` on where ``metric`` rises
above ``other`` having not been above it the recorded week before; NaN if never).
Outcomes are computed from the stored tables when an analysis runs, so they can
change without rerunning anything.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from model.metrics import METRICS

STATS = ("final", "mean", "min", "max", "at", "first_above", "first_below", "overtakes")
KEYS = ("metric", "stat", "weeks", "week", "threshold", "after", "other")
_ALLOWED = {
    "final": set(),
    "mean": {"weeks"},
    "min": {"weeks"},
    "max": {"weeks"},
    "at": {"week"},
    "first_above": {"threshold", "after"},
    "first_below": {"threshold", "after"},
    "overtakes": {"other", "after"},
}


class OutcomeError(ValueError):
    """An outcome definition that does not make sense."""


@dataclass(frozen=True)
class Outcome:
    """One number per run, derived from its per-step table."""

    name: str
    metric: str
    stat: str = "final"
    weeks: tuple[int, int] | None = None
    week: int | None = None
    threshold: float | str | None = None
    after: int = 0
    other: str | None = None

    @property
    def metrics(self) -> tuple[str, ...]:
        """The recorded metrics it reads."""
        return (self.metric,) if self.other is None else (self.metric, self.other)

    @property
    def is_week(self) -> bool:
        """Whether its value is a week number (a crossing) rather than a metric value."""
        return self.stat in ("first_above", "first_below", "overtakes")

    def describe(self) -> str:
        """A short text for tables and plot labels."""
        if self.stat == "final":
            return f"{self.metric} at the last week"
        if self.stat in ("mean", "min", "max"):
            span = f"weeks {self.weeks[0]}-{self.weeks[1]}" if self.weeks else "all weeks"
            return f"{self.stat} of {self.metric} over {span}"
        if self.stat == "at":
            return f"{self.metric} at week {self.week}"
        since = f" from week {self.after}" if self.after else ""
        if self.stat == "overtakes":
            return f"first week {self.metric} rises above {self.other}{since}"
        side = "above" if self.stat == "first_above" else "below"
        level = "its week-0 value" if self.threshold == "initial" else f"{self.threshold:g}"
        return f"first week {self.metric} is {side} {level}{since}"

    def as_dict(self) -> dict[str, Any]:
        return {
            k: getattr(self, k)
            for k in ("name", "metric", "stat", "weeks", "week", "threshold", "after", "other")
        }


def parse_outcomes(table: Any, steps: int) -> dict[str, Outcome]:
    """Outcomes declared in a spec's ``[outcomes]`` table, checked against the horizon."""
    if not isinstance(table, dict):
        raise OutcomeError("[outcomes] must be a table of name = { metric = ..., stat = ... }")
    out = {}
    for name, raw in table.items():
        where = f"outcomes.{name}"
        if not name.isidentifier():
            raise OutcomeError(f"{where}: an outcome name must be a simple identifier like 'nps_last_year'")
        if name in METRICS:
            raise OutcomeError(f"{where}: '{name}' is already a metric; choose another name")
        if not isinstance(raw, dict):
            raise OutcomeError(f'{where} must be a table like {{ metric = "nps", stat = "mean" }}')
        for key in raw:
            if key not in KEYS:
                near = difflib.get_close_matches(key, KEYS, n=1, cutoff=0.5)
                hint = f" Did you mean '{near[0]}'?" if near else f" (allowed: {', '.join(KEYS)})"
                raise OutcomeError(f"{where}: unknown key '{key}'.{hint}")
        stat = raw.get("stat", "final")
        if stat not in STATS:
            raise OutcomeError(f"{where}.stat must be one of {', '.join(STATS)}, got {stat!r}")
        extra = sorted(set(raw) - {"metric", "stat"} - _ALLOWED[stat])
        if extra:
            raise OutcomeError(f'{where}: {", ".join(extra)} does not apply to stat = "{stat}"')
        metric = _metric(raw.get("metric"), f"{where}.metric")
        other = _metric(raw["other"], f"{where}.other") if "other" in raw else None
        if stat == "overtakes" and other is None:
            raise OutcomeError(f'{where}: stat = "overtakes" needs other = "<metric>"')
        weeks = raw.get("weeks")
        if weeks is not None:
            if (
                not isinstance(weeks, list)
                or len(weeks) != 2
                or not all(_is_week(w, steps) for w in weeks)
                or weeks[0] > weeks[1]
            ):
                raise OutcomeError(f"{where}.weeks must be [first, last] within 0..{steps}, got {weeks!r}")
            weeks = (weeks[0], weeks[1])
        week = raw.get("week")
        if stat == "at" and not _is_week(week, steps):
            raise OutcomeError(f"{where}.week must be a whole number within 0..{steps}, got {week!r}")
        after = raw.get("after", 0)
        if not _is_week(after, steps):
            raise OutcomeError(f"{where}.after must be a whole number within 0..{steps}, got {after!r}")
        threshold = raw.get("threshold")
        if stat in ("first_above", "first_below"):
            if threshold != "initial" and (
                isinstance(threshold, bool)
                or not isinstance(threshold, int | float)
                or not np.isfinite(threshold)
            ):
                raise OutcomeError(f'{where}.threshold must be a number or "initial", got {threshold!r}')
        out[name] = Outcome(name, metric, stat, weeks, week, threshold, after, other)
    return out


def resolve(
    names: list[str] | tuple[str, ...], declared: dict[str, Outcome], where: str
) -> tuple[Outcome, ...]:
    """The outcomes a report names: declared ones, or metrics at the last week."""
    out = []
    for name in names:
        if name in declared:
            out.append(declared[name])
        elif name in METRICS:
            out.append(Outcome(name, name))
        else:
            near = difflib.get_close_matches(name, [*declared, *METRICS], n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(near)}?" if near else ""
            raise OutcomeError(
                f"{where}: '{name}' is neither a metric nor an outcome declared in [outcomes].{hint}"
            )
    return tuple(out)


def check_recorded(outcome: Outcome, metrics: tuple[str, ...], kept: list[int], where: str) -> None:
    """Raise unless the recorded metrics and steps let ``outcome`` be computed."""
    missing = [m for m in outcome.metrics if m not in metrics]
    if missing:
        raise OutcomeError(f"{where}: {', '.join(missing)} is not recorded; add it to experiment.metrics")
    if outcome.stat == "at" and outcome.week not in kept:
        raise OutcomeError(f"{where}: week {outcome.week} is not recorded (see experiment.record)")
    if outcome.stat in ("mean", "min", "max") and outcome.weeks is not None:
        lo, hi = outcome.weeks
        if not any(lo <= s <= hi for s in kept):
            raise OutcomeError(f"{where}: no recorded week lies within {lo}..{hi} (see experiment.record)")
    needs_path = outcome.stat not in ("final", "at") and outcome.weeks is None
    if (needs_path or outcome.stat in ("first_above", "first_below", "overtakes")) and len(kept) < 2:
        raise OutcomeError(f'{where}: stat = "{outcome.stat}" needs more than the final week recorded')


def outcome_table(results: pd.DataFrame, outcomes: tuple[Outcome, ...], keep: list[str]) -> pd.DataFrame:
    """One row per run: the ``keep`` columns (ids, factors) and one column per outcome.

    ``results`` is a tidy table (``load_results``); rows are in run order.
    """
    if results.empty:
        return pd.DataFrame(
            columns=["run_id", *(k for k in keep if k != "run_id"), *(o.name for o in outcomes)]
        )
    ordered = results.sort_values(["run_id", "step"], kind="stable")
    runs = ordered.groupby("run_id", sort=False)
    keep = [k for k in keep if k != "run_id"]
    table = runs[keep].first() if keep else pd.DataFrame(index=runs.size().index)
    for outcome in outcomes:
        table[outcome.name] = _compute(ordered, runs, outcome)
    order = [c for c in ("condition", "replicate") if c in table] or ["run_id"]
    table = table.reset_index().sort_values(order, kind="stable").reset_index(drop=True)
    return table[["run_id", *(k for k in keep if k != "run_id"), *(o.name for o in outcomes)]]


def _compute(ordered: pd.DataFrame, runs: Any, outcome: Outcome) -> pd.Series:
    value = ordered[outcome.metric]
    step = ordered["step"]
    if outcome.stat == "final":
        return runs[outcome.metric].last()
    if outcome.stat == "at":
        return ordered[step == outcome.week].groupby("run_id")[outcome.metric].first()
    if outcome.stat in ("mean", "min", "max"):
        inside = ordered if outcome.weeks is None else ordered[step.between(*outcome.weeks)]
        return inside.groupby("run_id")[outcome.metric].agg(outcome.stat)
    if outcome.stat == "overtakes":
        above = value > ordered[outcome.other]
        before = above.groupby(ordered["run_id"]).shift(1, fill_value=True)
        hit = above & ~before.astype(bool)
    else:
        level = (
            runs[outcome.metric].transform("first") if outcome.threshold == "initial" else outcome.threshold
        )
        hit = value > level if outcome.stat == "first_above" else value < level
    hit &= step >= outcome.after
    first = ordered.loc[hit, ["run_id", "step"]].groupby("run_id")["step"].min()
    return first.reindex(runs.size().index).astype(float)


def _metric(value: Any, where: str) -> str:
    if not isinstance(value, str) or value not in METRICS:
        near = difflib.get_close_matches(str(value), list(METRICS), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(near)}?" if near else ""
        raise OutcomeError(f"{where}: unknown metric {value!r}.{hint}")
    return value


def _is_week(value: Any, steps: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= steps
