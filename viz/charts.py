"""What the dashboard shows: its charts (which metrics, title, help line) and headline numbers.

Drawing is ``viz.figures`` (pure Plotly builders); every label, unit and help
text comes from ``model.metrics.METRICS``. A time-series chart updates in place
while a run plays (``data``: the new y values only); the org chart and the
customer network are drawn afresh (``live`` False).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from model.customers import DETRACTOR_BAND, PROMOTER_BAND
from model.departments import DEPARTMENTS
from model.metrics import HIGHER, METRICS
from viz import figures
from viz.figures import Line, Panel, money


def _help(*metrics: str) -> str:
    return " ".join(METRICS[m].meaning for m in metrics)


@dataclass(frozen=True)
class Chart:
    """One view: a title, a one-line help, and its figure (``panels`` for a time series,
    else ``draw``)."""

    key: str
    title: str
    help: str
    panels: tuple[Panel, ...] = ()
    draw: Callable[[Sequence, str, str], go.Figure] | None = None
    split: bool = False  # in compare mode, a panel per run (many lines per run)

    @property
    def live(self) -> bool:
        """Updated in place while playing (a time series), rather than drawn afresh."""
        return self.draw is None

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(line.metric for panel in self.panels for line in panel.lines)

    def figure(self, runs: Sequence, horizon: int) -> go.Figure:
        """The chart for ``runs`` on a week axis up to ``horizon``."""
        if self.draw is not None:
            return self.draw(runs, self.title, self.key)
        return figures.time_series(self.panels, runs, horizon, self.title, self.key, self.split)

    def data(self, runs: Sequence) -> list[np.ndarray]:
        """The y values of each line, in the figure's order (a time series only)."""
        return figures.trace_data(self.panels, runs, self.split)


CULTURE = Panel(
    (
        Line("culture_mean", "whole firm", "#000000", 4.5),
        Line("culture_executive", "executive", "#9b1b30", 3.5),
        *(Line(f"culture_{d}", d) for d in DEPARTMENTS if d != "executive"),
    ),
    "customer focus (0-1)",
    0,
    1,
)

CHARTS: dict[str, Chart] = {
    c.key: c
    for c in (
        Chart(
            "culture",
            "Customer focus by department",
            _help("culture_mean")
            + " Black: the whole firm; dark red: the executive team; one line per department.",
            (CULTURE,),
            split=True,
        ),
        Chart(
            "funnel",
            "Customers",
            _help("prospects", "active_customers", "churned"),
            (Panel((Line("prospects"), Line("active_customers"), Line("churned")), "people", 0),),
        ),
        Chart(
            "satisfaction",
            "Satisfaction, NPS and churn",
            _help("satisfaction_mean", "nps", "churn_rate"),
            (
                Panel((Line("satisfaction_mean"),), "", 0, 1),
                Panel((Line("nps"),)),
                Panel((Line("churn_rate"),), "", 0),
            ),
        ),
        Chart(
            "service",
            "Waiting and abandonment",
            _help("speed_of_answer_seconds", "abandonment_rate", "lost_presale", "first_contact_resolution"),
            (
                Panel((Line("speed_of_answer_seconds"),), "", 0),
                Panel((Line("abandonment_rate"),), "", 0),
                Panel((Line("lost_presale"),), "", 0),
                Panel((Line("first_contact_resolution"),), "", 0, 100),
            ),
        ),
        Chart(
            "people",
            "People and service quality",
            _help("wellbeing_mean", "employee_turnover", "service_quality"),
            (
                Panel((Line("wellbeing_mean"),), "", 0, 1),
                Panel((Line("employee_turnover"),), "", 0),
                Panel((Line("service_quality"),), "", 0, 1),
            ),
        ),
        Chart(
            "money",
            "Revenue and profit",
            _help("revenue", "profit", "cumulative_profit"),
            (
                Panel((Line("revenue"), Line("profit")), "per week"),
                Panel((Line("cumulative_profit"),)),
            ),
        ),
        Chart(
            "wom",
            "Word of mouth",
            _help("wom_positive", "wom_negative"),
            (
                Panel(
                    (Line("wom_positive", colour="#2a9d4b"), Line("wom_negative", colour="#d1495b")),
                    "people per week",
                    0,
                ),
            ),
        ),
        Chart(
            "org",
            "Org chart by customer focus",
            "Each dot is a position, coloured by its holder's customer focus (red low, green high); "
            "grey crosses are empty positions; lines are reporting lines.",
            draw=figures.org_chart,
        ),
        Chart(
            "network",
            "Customers talking to each other",
            f"A sample of customers and their social ties: promoters ({PROMOTER_BAND}) recommend, "
            f"detractors ({DETRACTOR_BAND}) warn; grey dots are prospects, crosses former customers.",
            draw=figures.network,
        ),
    )
}


# ------------------------------------------------------------------ headline numbers
@dataclass(frozen=True)
class Kpi:
    metric: str

    @property
    def label(self) -> str:
        return METRICS[self.metric].label

    def fmt(self, x: float) -> str:
        unit = METRICS[self.metric].unit
        if unit.startswith("currency"):
            return money(x)
        if unit.startswith("share"):
            return f"{100 * x:.1f}%"
        if unit.startswith("points"):
            return f"{x:+.0f}"
        if unit.startswith("people"):
            return f"{x:,.0f}"
        return f"{x:.2f}" if abs(x) < 10 else f"{x:,.1f}"


KPIS: tuple[Kpi, ...] = tuple(
    Kpi(m)
    for m in (
        "culture_mean",
        "nps",
        "satisfaction_mean",
        "active_customers",
        "speed_of_answer_seconds",
        "cumulative_profit",
    )
)


def _start(metric: str) -> int:
    """The first week with data: week 1 for weekly flows (nothing has flowed in week 0)."""
    return 1 if METRICS[metric].flow else 0


def kpi_value(kpi: Kpi, snap) -> str:
    """The KPI's value now; a dash for a weekly flow before the first week has passed."""
    col = snap.series(kpi.metric)
    if len(col) <= _start(kpi.metric) or not np.isfinite(col[-1]):
        return "–"
    return kpi.fmt(float(col[-1]))


def kpi_delta(kpi: Kpi, snap) -> tuple[str, str]:
    """The KPI's change since its first week with data, and a colour saying whether it is good."""
    col = snap.series(kpi.metric)
    first = _start(kpi.metric)
    since = "since week 1" if first else "since start"
    if len(col) <= first or not np.isfinite(col[-1] - col[first]):
        return f"• {since}", "#777"
    d = float(col[-1] - col[first])
    good = (d > 0) == (METRICS[kpi.metric].better == HIGHER)
    colour = (
        "#777" if abs(d) < 1e-9 or METRICS[kpi.metric].better is None else ("#1e7b34" if good else "#b3261e")
    )
    arrow = "▲" if d > 0 else ("▼" if d < 0 else "•")
    shown = kpi.fmt(d)
    return (
        f"{arrow} {shown if shown.startswith(('+', '-')) else ('+' + shown if d > 0 else shown)} {since}",
        colour,
    )
