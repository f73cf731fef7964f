"""Pieces several workshop pages show: a team's KPI cards, its charts, its rounds, the
leaderboard, the round's state, and a refusal beside its control."""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Hashable, Sequence

import numpy as np
import solara
import solara.lab

from model.metrics import METRICS
from viz import components as ui
from viz import figures
from viz.charts import CHARTS, KPIS, kpi_delta, kpi_value
from viz.rooms.room import TeamRun, narrow
from viz.rooms.widgets import Countdown
from workshop import decisions as dec
from workshop.scorecard import MEASURES, Standing, per_year
from workshop.views import Status, TeamRecord

# The dashboard's time-series charts, in its order: what a team's firm is drawn with.
TEAM_CHARTS = tuple(key for key, chart in CHARTS.items() if chart.live)


@solara.component
def FieldError(error: solara.Reactive[str | None], name: str) -> None:
    """The sentence for the control above it, when it refused something."""
    if error.value:
        solara.Text(error.value, classes=["field-error", f"error-{name}"])


@solara.component
def Kpis(run: TeamRun, version: object = 0) -> None:
    """The dashboard's headline numbers (``viz.charts.KPIS``) of one team's firm now."""
    with solara.Div(classes=["kpi-row"]):
        for kpi in KPIS:
            delta, colour = kpi_delta(kpi, run)
            with solara.Div(classes=["kpi"]):
                solara.Text(kpi.label, classes=["kpi-label"])
                solara.Text(kpi_value(kpi, run), classes=["kpi-value", f"kpi-{kpi.metric}"])
                solara.Text(delta, style={"color": colour}, classes=["kpi-delta"])


def for_phone(fig):
    """``fig`` laid out for a phone: its legend under the chart, smaller type, taller."""
    shown = sum(1 for t in fig.data if t.showlegend is not False and t.name)
    rows = math.ceil(shown / 2)
    fig.update_layout(
        height=(fig.layout.height or 380) + 22 * rows,
        legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
        legend_font_size=11,
        title_font_size=14,
        margin={"l": 48, "r": 8, "t": 36, "b": 56 + 22 * rows},
    )
    return fig


@solara.component
def RoundPlot(
    make: Callable[[], object],
    lines: Callable[[], list[np.ndarray]],
    shape: Hashable,
    version: Hashable,
    filename: str,
    marks: Callable[[], dict] | None = None,
) -> None:
    """A chart of lines drawn whole by ``make()`` only when ``shape`` (its lines, axes and
    look) changes; when only ``version`` does (a round played), just the lines' new values
    (``lines()``, in the figure's order) are sent, and ``marks()`` (layout keys: the lines
    at lever moves and events) when they differ. Building and sending a whole Plotly
    figure costs a tenth of a second of the server's time, for every page, every round."""
    element = ui.Figure.element(_filename=filename)
    drawn = solara.use_ref(None)  # (shape, marks) as last sent

    def update() -> None:
        widget = solara.get_widget(element)
        extra = marks() if marks is not None else {}
        if drawn.current is None or drawn.current[0] != shape:
            ui.show(widget, make())
        else:
            ys = lines()
            widget.plotly_update(  # one message: the browser redraws once
                {"x": [np.arange(len(y)) for y in ys], "y": ys},
                extra if extra != drawn.current[1] else None,
                list(range(len(ys))),
            )
        drawn.current = (shape, extra)

    solara.use_effect(update, [shape, version])


@solara.component
def TeamCharts(run: TeamRun, horizon: int, version: object = 0) -> None:
    """The team's firm in the dashboard's charts, one tab each (only the open one drawn);
    on a phone the legends go under the charts."""
    tab = solara.use_reactive(0)
    phone = narrow.value

    def figure(chart):
        fig = chart.figure([run], horizon)
        return for_phone(fig) if phone else fig

    with solara.lab.Tabs(value=tab, lazy=True):
        for key in TEAM_CHARTS:
            chart = CHARTS[key]
            with solara.lab.Tab(chart.title):
                with solara.Div(classes=["chart", f"chart-{key}"]):
                    RoundPlot(
                        lambda chart=chart: figure(chart),
                        lambda chart=chart: chart.data([run]),
                        (key, horizon, phone, run.name),
                        version,
                        key,
                        marks=lambda: figures.marks_layout([run]),
                    )
                    ui.caption(chart.help)


def measure_text(measure: str, value: float | None) -> str:
    """A scorecard measure's value in words (turnover per year as a percentage)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if measure == "employee_turnover":
        return per_year(value)
    if measure == "customer_focus":
        return f"{value:.2f}"
    if measure == "cumulative_profit":
        return figures.money(value)
    if measure == "nps":
        return f"{value:+.0f}"
    return f"{value:,.0f}"


def rounds_table(record: TeamRecord) -> str:
    """A team's rounds as an HTML table: its decision, what it cost, the measures after it."""
    head = "".join(f"<th>{html.escape(m.label)}</th>" for m in MEASURES.values())
    rows = []
    for r in reversed(record.rounds[1:]):
        decided = "did not submit: nothing changed" if r.status == "carried" else dec.describe(r.decision)
        cells = "".join(f"<td>{measure_text(m, r.kpis.get(m))}</td>" for m in MEASURES)
        rows.append(
            f"<tr><td>{r.round}</td><td class='text'>{html.escape(decided)}</td>"
            f"<td>{figures.money(r.charged)}</td>{cells}</tr>"
        )
    if not rows:
        return "<p>No round played yet.</p>"
    return (
        "<div class='table-scroll'><table class='rounds-table'><thead><tr><th>Round</th>"
        f"<th class='text'>Decision</th><th>One-off cost</th>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def leaderboard_table(board: Sequence[Standing], highlight: str | None = None) -> str:
    """The standings as an HTML table: rank, team, score, and each measure's value and points."""
    head = "".join(f"<th>{html.escape(m.label)}</th>" for m in MEASURES.values())
    rows = []
    for s in board:
        mark = " style='background:#fff6d6'" if s.team == highlight else ""
        cells = "".join(
            f"<td>{measure_text(m, s.values.get(m))}<br><small>{s.points[m]:.0f} pts</small></td>"
            for m in MEASURES
        )
        rows.append(
            f"<tr{mark}><td>{s.rank}</td><td class='text'>{html.escape(s.team)}</td>"
            f"<td><b>{s.score:.1f}</b></td>{cells}</tr>"
        )
    return (
        "<div class='table-scroll'><table class='leaderboard'><thead><tr><th>Rank</th><th class='text'>Team</th>"
        f"<th>Score</th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def html_block(text: str, classes: list[str] | None = None) -> None:
    """Markup the page built itself (every name in it escaped)."""
    solara.HTML(tag="div", unsafe_innerHTML=text, classes=classes or [])


def window_text(status: Status) -> str:
    """The round's state in a sentence."""
    if status.finished:
        return f"The workshop is over: all {status.rounds} rounds have been played."
    r = status.deciding
    if status.accepting:
        return f"Round {r}: the decision window is open."
    if status.window_open:
        return f"Round {r}: time is up; waiting for the facilitator to play the round."
    return f"Round {r}: the decision window is closed; waiting for the facilitator."


@solara.component
def RoundState(status: Status) -> None:
    """Round r of N, the window's state and its countdown (ticking in the browser)."""
    played = f"{status.rounds_done} of {status.rounds} rounds played"
    with solara.Column(gap="2px"):
        solara.Text(
            f"Round {status.deciding} of {status.rounds}" if not status.finished else "Workshop over",
            classes=["round-title"],
        )
        solara.Text(f"{window_text(status)} ({played})", classes=["state", "window-state"])
        if status.window_open and status.seconds_left is not None:
            Countdown.element(seconds=status.seconds_left, stamp=status.version)


def weeks_of(record: TeamRecord) -> int:
    return len(record.weeks) - 1


def finite(values: np.ndarray) -> bool:
    return bool(np.isfinite(values).any())


def metric_label(metric: str) -> str:
    return METRICS[metric].label
