"""Plotly chart builders: pure functions, runs' data in, ``plotly.graph_objects.Figure`` out.

Any page can use them (the dashboard, a workshop room): they read a run through
the small ``RunData`` protocol (a name, a title, the weekly series of a metric,
and the marks to draw on the week axis), and every label, unit, flow-or-level
and scale comes from the metric's own ``Metric`` in ``model.metrics``.

One theme (``THEME``) for all: large type for a projector (tick labels 15 px,
titles 18 px), run A blue and run B orange everywhere, events and lever moves
as dotted and dashed vertical lines labelled at the top, hovering shows every
line's value at a week. A figure's ``layout.uirevision`` stays the same while
only its data change, so a viewer's zoom and legend choices survive updates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import plotly.graph_objects as go

from model.customers import (
    ACTIVE,
    CHURNED,
    DETRACTOR_BAND,
    DETRACTOR_MAX,
    PASSIVE_BAND,
    PROMOTER_BAND,
    PROMOTER_MIN,
    PROSPECT,
)
from model.departments import DEPARTMENTS, LEVELS
from model.metrics import METRICS

FONT = "Inter, Segoe UI, Helvetica, Arial, sans-serif"
TICK_PX = 15  # at least 14 px on a projector at 1920 x 1080
RUN_COLOUR = {"A": "#1f4e79", "B": "#d9731a"}
# Okabe-Ito and a few more: told apart with colour-blindness, and on a washed-out projector.
PALETTE = ("#0072b2", "#009e73", "#d55e00", "#cc79a7", "#e69f00", "#56b4e9", "#8c564b", "#7f7f7f", "#bcbd22")
LINE_DASH = ("solid", "dash", "dot", "dashdot")
MARK_STYLE = {"event": ("#444444", "dot"), "lever": ("#7b3fa0", "dash")}
CENTRICITY_SCALE = "RdYlGn"
PANEL_PX = 170  # height of one panel of a time-series chart
EXTRA_PX = 150  # title, legend and week axis

THEME = go.layout.Template(
    layout={
        "font": {"family": FONT, "size": TICK_PX, "color": "#222222"},
        "title": {
            "font": {"size": 18},
            "x": 0.01,
            "xanchor": "left",
            "y": 0.99,
            "yanchor": "top",
            "yref": "container",
        },
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "margin": {"l": 70, "r": 20, "t": 86, "b": 50},
        "hoverlabel": {"font": {"size": TICK_PX}},
        "legend": {"font": {"size": TICK_PX}, "orientation": "h", "y": 1.0, "x": 0, "yanchor": "bottom"},
        "xaxis": {"gridcolor": "#e5e5e5", "zeroline": False, "tickfont": {"size": TICK_PX}},
        "yaxis": {"gridcolor": "#e5e5e5", "zeroline": False, "tickfont": {"size": TICK_PX}},
    }
)


class Mark(Protocol):
    week: int
    kind: str  # "event" or "lever"
    text: str
    detail: str


class RunData(Protocol):
    """What a chart reads of one run."""

    name: str  # "A" or "B"
    title: str
    steps: int

    def series(self, metric: str) -> np.ndarray: ...

    @property
    def marks(self) -> Sequence[Mark]: ...


# ------------------------------------------------------------------ units
@dataclass(frozen=True)
class Scale:
    """How a unit is shown: a factor, an axis suffix and hover and tick formats."""

    factor: float = 1.0
    suffix: str = ""
    hover: str = ".2f"
    ticks: str = ""


def scale(metric: str) -> Scale:
    """How to show ``metric``, from its unit (shares as percent, people and money compact)."""
    unit = METRICS[metric].unit
    if unit.startswith("share"):
        return Scale(100.0, "%", ".1f", "")
    if unit.startswith(("people", "contacts", "currency", "agents")):
        return Scale(1.0, "", ",.0f", "~s")
    if unit.startswith("points"):
        return Scale(1.0, "", "+.0f", "")
    if unit in ("minutes", "seconds"):
        return Scale(1.0, "", ".1f", "")
    return Scale()


def series(run: RunData, metric: str) -> np.ndarray:
    """The weekly values of ``metric`` as shown: scaled, and week 0 blank for a weekly flow."""
    y = np.asarray(run.series(metric), dtype=float) * scale(metric).factor
    if METRICS[metric].flow and len(y):
        y[0] = np.nan
    return y


def money(x: float) -> str:
    """Compact currency: 1.2M, 350k, -40k."""
    a = abs(x)
    for size, suffix in ((1e9, "bn"), (1e6, "M")):
        if a >= size:
            return f"{x / size:.1f}{suffix}"
    return f"{x / 1e3:.0f}k" if a >= 1e3 else f"{x:.0f}"


# ------------------------------------------------------------------ time series
@dataclass(frozen=True)
class Line:
    """One metric drawn as a line; ``label`` and ``colour`` default to the metric's label and
    the palette."""

    metric: str
    label: str = ""
    colour: str = ""
    width: float = 2.5

    @property
    def name(self) -> str:
        return self.label or METRICS[self.metric].label


@dataclass(frozen=True)
class Panel:
    """One y axis of a chart: its lines, its axis title and optional fixed bounds (as shown)."""

    lines: tuple[Line, ...]
    title: str = ""
    lo: float | None = None
    hi: float | None = None

    def axis_title(self) -> str:
        if self.title:
            return self.title
        first = self.lines[0].metric
        return METRICS[first].label + (" (%)" if scale(first).suffix else "")


def _rows(panels: Sequence[Panel], runs: Sequence[RunData], split: bool) -> list[tuple[Panel, list]]:
    """The panels drawn and the runs in each: every run in every panel, or with ``split`` a
    panel per run (one run's many lines stay readable)."""
    if split and len(runs) > 1:
        return [(panel, [run]) for run in runs for panel in panels]
    return [(panel, list(runs)) for panel in panels]


def trace_data(panels: Sequence[Panel], runs: Sequence[RunData], split: bool = False) -> list[np.ndarray]:
    """Each trace's y values, in the order ``time_series`` draws them (for live updates)."""
    return [
        series(run, line.metric)
        for panel, rs in _rows(panels, runs, split)
        for run in rs
        for line in panel.lines
    ]


def time_series(
    panels: Sequence[Panel],
    runs: Sequence[RunData],
    horizon: int,
    title: str = "",
    key: str = "",
    split: bool = False,
) -> go.Figure:
    """Panels stacked on one week axis up to ``horizon``, one line per metric and run.

    One run: each line its own colour. Two runs: A blue, B orange, and the lines of a
    panel told apart by dash; the legend names both. With ``split``, each run gets its
    own panels instead (lines coloured by metric, the panel titled by run). ``key`` fixes
    ``uirevision``, so zoom and legend choices survive data updates.
    """
    rows = _rows(panels, runs, split)
    n = len(rows)
    gap = 0.06 if n > 1 else 0.0
    height = (1 - gap * (n - 1)) / n
    layout: dict = {
        "template": THEME,
        "title": {"text": title},
        "height": PANEL_PX * n + EXTRA_PX + (30 if len(runs) > 1 else 0),
        "hovermode": "x unified",
        "uirevision": key or title,
        "showlegend": True,
    }
    last = max((r.steps for r in runs), default=0)
    traces = []
    legend: set[str] = set()
    colours: dict[str, str] = {}  # one colour per metric across the panels
    for p, (panel, rs) in enumerate(rows):
        axis = "" if p == 0 else str(p + 1)
        top = 1 - p * (height + gap)
        axis_title = panel.axis_title()
        if len(rs) < len(runs):
            axis_title = f"{rs[0].name}: {axis_title}"
        y_axis: dict = {
            "domain": [max(0.0, top - height), top],
            "title": {
                "text": axis_title,
                "font": {
                    "size": TICK_PX,
                    "color": RUN_COLOUR.get(rs[0].name) if len(rs) < len(runs) else None,
                },
            },
            "tickformat": scale(panel.lines[0].metric).ticks,
            "gridcolor": "#e5e5e5",
            "tickfont": {"size": TICK_PX},
            "anchor": f"x{axis}",
        }
        if panel.lo is not None and panel.hi is not None:
            y_axis["range"] = [panel.lo, panel.hi]
        elif panel.lo is not None or panel.hi is not None:
            y_axis["autorangeoptions"] = {"minallowed": panel.lo, "maxallowed": panel.hi}
        layout[f"yaxis{axis}"] = y_axis
        layout[f"xaxis{axis}"] = {
            "range": [0, max(horizon, last, 1)],
            "matches": "x" if p else None,
            "showticklabels": p == n - 1,
            "title": {"text": "week" if p == n - 1 else ""},
            "anchor": f"y{axis}",
            "gridcolor": "#e5e5e5",
            "tickfont": {"size": TICK_PX},
        }
        by_run = len(rs) > 1
        for run in rs:
            for i, line in enumerate(panel.lines):
                fmt = scale(line.metric)
                name = f"{run.name}: {line.name}" if by_run else line.name
                y = series(run, line.metric)
                traces.append(
                    go.Scatter(
                        x=np.arange(len(y)),
                        y=y,
                        name=name,
                        legendgroup=name,
                        showlegend=name not in legend,
                        mode="lines",
                        line={
                            "color": RUN_COLOUR.get(run.name, "#333333")
                            if by_run
                            else colours.setdefault(
                                line.metric, line.colour or PALETTE[len(colours) % len(PALETTE)]
                            ),
                            "width": line.width,
                            "dash": LINE_DASH[i % len(LINE_DASH)] if by_run else "solid",
                        },
                        hovertemplate=f"%{{y:{fmt.hover}}}{fmt.suffix}",
                        xaxis=f"x{axis}",
                        yaxis=f"y{axis}",
                    )
                )
                legend.add(name)
    fig = go.Figure(data=traces, layout=layout)
    fig.update_layout(**marks_layout(runs))
    return fig


def marks_layout(runs: Sequence[RunData]) -> dict:
    """A vertical line at each event and lever move, labelled at the top (hover: the
    detail): the layout's ``shapes`` and ``annotations``."""
    seen: dict[tuple[int, str, str], list[str]] = {}
    details: dict[tuple[int, str, str], str] = {}
    for run in runs:
        for m in run.marks:
            key = (m.week, m.kind, m.detail)
            if run.name not in seen.setdefault(key, []):
                seen[key].append(run.name)
            details[key] = m.text
    shapes, notes = [], []
    for (week, kind, detail), who in seen.items():
        colour, dash = MARK_STYLE[kind]
        text = details[(week, kind, detail)]
        if len(runs) > 1 and len(who) < len(runs):
            colour = RUN_COLOUR.get(who[0], colour)
            text = f"{who[0]}: {text}"
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": week,
                "x1": week,
                "y0": 0,
                "y1": 1,
                "line": {"color": colour, "width": 2, "dash": dash},
                "layer": "below",
            }
        )
        notes.append(
            {
                "x": week,
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "text": text,
                "hovertext": f"week {week}: {detail}",
                "showarrow": False,
                "textangle": -90,
                "xanchor": "left",
                "yanchor": "top",
                "font": {"size": 13, "color": colour},
                "bgcolor": "rgba(255,255,255,0.8)",
            }
        )
    return {"shapes": shapes, "annotations": notes}


# ------------------------------------------------------------------ structure
class OrgData(RunData, Protocol):
    """A run whose organisation can be drawn (``viz.lab.Snapshot`` is one)."""

    structure: object
    centricity: np.ndarray
    present: np.ndarray


def side_by_side(runs: Sequence[RunData], title: str, key: str, height: int, **extra) -> dict:
    """The layout of one picture per run, side by side, each labelled with its run and week."""
    n = len(runs)
    layout: dict = {
        "template": THEME,
        "title": {"text": title},
        "height": height,
        "uirevision": key,
        "hovermode": "closest",
        "annotations": [],
        **extra,
    }
    for i, run in enumerate(runs):
        axis = "" if i == 0 else str(i + 1)
        layout[f"xaxis{axis}"] = {"domain": [i / n + 0.01, (i + 1) / n - 0.01], "visible": False}
        layout[f"yaxis{axis}"] = {"visible": False, "anchor": f"x{axis}"}
        layout["annotations"].append(
            {
                "text": f"{run.name}: week {run.steps}" if n > 1 else f"week {run.steps}",
                "x": (i + 0.5) / n,
                "xref": "paper",
                "y": 1.0,
                "yref": "paper",
                "showarrow": False,
                "yanchor": "bottom",
                "font": {
                    "size": TICK_PX,
                    "color": RUN_COLOUR.get(run.name, "#222222") if n > 1 else "#222222",
                },
            }
        )
    return layout


def org_chart(runs: Sequence[OrgData], title: str = "", key: str = "org") -> go.Figure:
    """Every position coloured by its holder's customer focus (red low, green high), reporting
    lines in grey, empty positions as crosses; side by side in compare mode. A large
    organisation is drawn as one disc per department and level."""
    traces = []
    for i, run in enumerate(runs):
        axis = "" if i == 0 else str(i + 1)
        traces += (_org_detail if run.structure.org_x is not None else _org_aggregate)(run, axis)
    coloured = [t for t in traces if t.mode == "markers" and t.marker.colorscale is not None]
    coloured[-1].marker.showscale = True  # one colour key, beside the last run
    return go.Figure(data=traces, layout=side_by_side(runs, title, key, 430, showlegend=False))


def _colourbar() -> dict:
    return {"title": {"text": "customer focus", "side": "right"}, "thickness": 14, "len": 0.8}


def ties(start: np.ndarray, end: np.ndarray, axis: str, colour: str) -> go.Scattergl:
    """Lines from each ``start`` point to its ``end`` point (rows of x, y), as one trace."""
    x = np.full(3 * len(start), np.nan)
    y = np.full(3 * len(start), np.nan)
    x[0::3], x[1::3] = start[:, 0], end[:, 0]
    y[0::3], y[1::3] = start[:, 1], end[:, 1]
    return go.Scattergl(
        x=x,
        y=y,
        mode="lines",
        line={"color": colour, "width": 1},
        hoverinfo="skip",
        showlegend=False,
        xaxis=f"x{axis}",
        yaxis=f"y{axis}",
    )


def _org_detail(run: OrgData, axis: str) -> list:
    st = run.structure
    x, y = st.org_x, st.org_y
    child = np.flatnonzero(st.parent >= 0)
    xy = np.column_stack([x, y])
    here = run.present
    dept = np.asarray(DEPARTMENTS, dtype=object)[st.dept]
    level = np.asarray(LEVELS, dtype=object)[st.level]
    return [
        ties(xy[st.parent[child]], xy[child], axis, "#c0c0c0"),
        go.Scattergl(
            x=x[here],
            y=y[here],
            mode="markers",
            marker={
                "color": run.centricity[here],
                "colorscale": CENTRICITY_SCALE,
                "cmin": 0,
                "cmax": 1,
                "size": 9,
                "line": {"color": "#333333", "width": 0.5},
                "colorbar": _colourbar(),
                "showscale": False,
            },
            customdata=np.column_stack([dept[here], level[here]]),
            hovertemplate="%{customdata[0]}, %{customdata[1]}: focus %{marker.color:.2f}<extra></extra>",
            xaxis=f"x{axis}",
            yaxis=f"y{axis}",
        ),
        go.Scattergl(
            x=x[~here],
            y=y[~here],
            mode="markers",
            marker={"symbol": "x", "color": "#888888", "size": 7},
            hovertemplate="empty position<extra></extra>",
            xaxis=f"x{axis}",
            yaxis=f"y{axis}",
        ),
    ]


def _org_aggregate(run: OrgData, axis: str) -> list:
    st = run.structure
    here = run.present
    xs, ys, cs, ss, text = [], [], [], [], []
    for d, dname in enumerate(DEPARTMENTS):
        for lv, lname in enumerate(LEVELS):
            sel = here & (st.dept == d) & (st.level == lv)
            if sel.any():
                xs.append(dname)
                ys.append(lname)
                cs.append(float(run.centricity[sel].mean()))
                ss.append(sel.sum())
                text.append(f"{dname}, {lname}: {int(sel.sum()):,} people, focus {cs[-1]:.2f}")
    size = 12 + 40 * np.sqrt(np.asarray(ss, dtype=float) / max(1, max(ss, default=1)))
    return [
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers",
            marker={
                "color": cs,
                "colorscale": CENTRICITY_SCALE,
                "cmin": 0,
                "cmax": 1,
                "size": size,
                "line": {"color": "#333333", "width": 0.5},
                "colorbar": _colourbar(),
                "showscale": False,
            },
            text=text,
            hovertemplate="%{text}<extra></extra>",
            xaxis=f"x{axis}",
            yaxis=f"y{axis}",
        )
    ]


SEGMENTS = {
    "promoter": (f"promoters ({PROMOTER_BAND})", "#2a9d4b", "circle"),
    "passive": (f"passives ({PASSIVE_BAND})", "#f2b134", "circle"),
    "detractor": (f"detractors ({DETRACTOR_BAND})", "#d1495b", "circle"),
    "prospect": ("prospects", "#c9ccd1", "circle"),
    "churned": ("former customers", "#555555", "x"),
}


def segments(status: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Each person's segment: prospect, churned, or an active promoter/passive/detractor."""
    out = np.full(len(status), "passive", dtype=object)
    out[status == PROSPECT] = "prospect"
    out[status == CHURNED] = "churned"
    active = status == ACTIVE
    out[active & (score >= PROMOTER_MIN)] = "promoter"
    out[active & (score <= DETRACTOR_MAX)] = "detractor"
    return out


class MarketData(RunData, Protocol):
    structure: object
    status: np.ndarray
    score: np.ndarray


def network(runs: Sequence[MarketData], title: str = "", key: str = "network") -> go.Figure:
    """A sample of customers and their ties, coloured by segment, with each segment's share
    of the whole market in the legend; side by side in compare mode."""
    n = len(runs)
    traces = []
    for i, run in enumerate(runs):
        axis = "" if i == 0 else str(i + 1)
        st = run.structure
        xy, e = st.net_xy, st.net_edges
        traces.append(ties(xy[e[:, 0]], xy[e[:, 1]], axis, "#d0d0d0"))
        seg = segments(run.status[st.net_nodes], run.score[st.net_nodes])
        market = segments(run.status, run.score)
        active = max(1, int((run.status == ACTIVE).sum()))
        for name, (label, colour, symbol) in SEGMENTS.items():
            sel = seg == name
            count = int((market == name).sum())
            if name in ("promoter", "passive", "detractor"):
                share = f"{100 * count / active:.0f}% of customers"
            else:
                share = f"{count:,}"
            prefix = f"{run.name}: " if n > 1 else ""
            traces.append(
                go.Scatter(
                    x=xy[sel, 0],
                    y=xy[sel, 1],
                    mode="markers",
                    name=f"{prefix}{label}: {share}",
                    marker={
                        "color": colour,
                        "symbol": symbol,
                        "size": 8 if name == "prospect" else 11,
                        "line": {"color": "#333333", "width": 0.5},
                    },
                    hovertemplate=f"{label}<extra></extra>",
                    xaxis=f"x{axis}",
                    yaxis=f"y{axis}",
                )
            )
    legend = {"orientation": "h", "y": -0.02, "x": 0, "yanchor": "top"}
    return go.Figure(data=traces, layout=side_by_side(runs, title, key, 470, legend=legend))


# ------------------------------------------------------------------ many runs, one measure
def run_style(i: int) -> tuple[str, str]:
    """The colour and dash of the ``i``-th of many runs (teams): the palette, then dashes."""
    return PALETTE[i % len(PALETTE)], LINE_DASH[(i // len(PALETTE)) % len(LINE_DASH)]


def overlay(
    metric: str,
    runs: Sequence[RunData],
    horizon: int,
    title: str = "",
    key: str = "",
    every: int = 0,
    height: int = 380,
    font: int = TICK_PX,
) -> go.Figure:
    """One metric of many runs (a workshop's teams) on one week axis, a line per run in
    ``run_style`` order, a dotted line every ``every`` weeks (the rounds); ``font`` sets the
    type size (a projector wants it larger)."""
    fmt = scale(metric)
    traces = []
    for i, run in enumerate(runs):
        colour, dash = run_style(i)
        y = series(run, metric)
        traces.append(
            go.Scatter(
                x=np.arange(len(y)),
                y=y,
                name=run.name,
                mode="lines",
                line={"color": colour, "dash": dash, "width": 3},
                hovertemplate=f"{run.name}: %{{y:{fmt.hover}}}{fmt.suffix}<extra></extra>",
            )
        )
    last = max((r.steps for r in runs), default=0)
    end = max(horizon, last, 1)
    shapes = [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": week,
            "x1": week,
            "y0": 0,
            "y1": 1,
            "line": {"color": "#9aa5b1", "width": 1, "dash": "dot"},
            "layer": "below",
        }
        for week in (range(every, end, every) if every else ())
    ]
    axis = {"tickfont": {"size": font}, "gridcolor": "#e5e5e5"}
    layout = {
        "template": THEME,
        "title": {"text": title, "font": {"size": font + 3}},
        "height": height,
        "hovermode": "x unified",
        "uirevision": key or metric,
        "showlegend": True,
        "legend": {"font": {"size": font}, "orientation": "h", "y": 1.0, "x": 0, "yanchor": "bottom"},
        "font": {"size": font},
        "shapes": shapes,
        "xaxis": {**axis, "range": [0, end], "title": {"text": "week"}},
        "yaxis": {
            **axis,
            "title": {"text": METRICS[metric].label + (" (%)" if fmt.suffix else "")},
            "tickformat": fmt.ticks,
        },
    }
    return go.Figure(data=traces, layout=layout)
