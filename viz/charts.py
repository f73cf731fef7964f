"""The dashboard's charts: pure functions from run snapshots to matplotlib figures.

Every chart is a ``Chart`` in ``CHARTS`` with a title, a one-line help text
built from the metric meanings in ``model.metrics.METRICS``, and a ``draw``
function. Figures are ``matplotlib.figure.Figure`` objects (never pyplot), so
they are safe in a server with many sessions. Run A is drawn solid, run B
dashed; events are dotted vertical lines labelled at the top.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter
from PIL import Image

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
from model.events import EVENTS
from model.metrics import FLOWS, METRICS
from viz.lab import Snapshot

DPI = 80
RUN_STYLE = {"A": "-", "B": "--"}
RUN_COLOUR = {"A": "#1f4e79", "B": "#b5442c"}
DEPT_COLOUR = dict(
    zip(DEPARTMENTS, ["#222222", *[f"C{i}" for i in range(len(DEPARTMENTS) - 1)]], strict=True)
)
CENTRICITY_CMAP = "RdYlGn"
SEGMENT_LABEL = {
    "prospect": "prospects",
    "churned": "former customers",
    "promoter": f"promoters ({PROMOTER_BAND})",
    "passive": f"passives ({PASSIVE_BAND})",
    "detractor": f"detractors ({DETRACTOR_BAND})",
}
SEGMENT_COLOUR = {
    "prospect": "#c9ccd1",
    "churned": "#6b6b6b",
    "promoter": "#2a9d4b",
    "passive": "#f2b134",
    "detractor": "#d1495b",
}


def _series(snap: Snapshot, col: str, scale: float) -> np.ndarray:
    y = snap.series(col) * scale  # a new array: the snapshot's own stays untouched
    if col in FLOWS and len(y):  # a weekly flow has nothing to show in week 0
        y[0] = np.nan
    return y


def event_label(kind: str) -> str:
    """A short human label for an event type."""
    return EVENTS[kind].label if kind in EVENTS else kind.replace("_", " ").capitalize()


def money(x: float, _pos=None) -> str:
    """Compact currency label: 1.2M, 350k, -40k."""
    a = abs(x)
    if a >= 1e9:
        return f"{x / 1e9:.1f}bn"
    if a >= 1e6:
        return f"{x / 1e6:.1f}M"
    if a >= 1e3:
        return f"{x / 1e3:.0f}k"
    return f"{x:.0f}"


@dataclass(frozen=True)
class Chart:
    """One view: its title, a one-line help text, and how to draw it."""

    key: str
    title: str
    help: str
    draw: Callable[[Figure, Sequence[Snapshot], int], None]
    size: tuple[float, float] = (6.4, 3.3)
    heavy: bool = False  # redrawn less often while playing


# ------------------------------------------------------------------ helpers
def _style(ax, horizon: int, snaps: Sequence[Snapshot]) -> None:
    last = max(s.steps for s in snaps)
    ax.set_xlim(0, max(horizon, last, 1))
    ax.grid(alpha=0.3, lw=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)


def _events(ax, snaps: Sequence[Snapshot], labels: bool = True) -> None:
    """Dotted line at each event's week, labelled at the top (one label per week and type).

    The artists are listed in ``ax._cx_events`` (and ``labels`` kept), so that a
    live chart can replace them when events are fired (see ``LiveChart``).
    """
    ax._cx_event_labels = labels
    ax._cx_events = []
    done: set[tuple[int, str]] = set()
    multi = len(snaps) > 1
    for snap in snaps:
        for e in snap.events:
            step, kind = int(e["step"]), e["type"]
            colour = RUN_COLOUR[snap.name] if multi else "#555555"
            ax._cx_events.append(ax.axvline(step, color=colour, ls=(0, (2, 2)), lw=1.4, zorder=1))
            if labels and (step, kind) not in done:
                done.add((step, kind))
                who = f" ({snap.name})" if multi and not _in_all(snaps, step, kind) else ""
                label = ax.text(
                    step,
                    0.97,
                    f"{event_label(kind)}{who}",
                    transform=ax.get_xaxis_transform(),
                    rotation=90,
                    va="top",
                    ha="left",
                    fontsize=7.5,
                    fontweight="bold",
                    color=colour,
                    bbox={"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 1.0},
                    zorder=5,
                )
                ax._cx_events.append(label)


def _in_all(snaps: Sequence[Snapshot], step: int, kind: str) -> bool:
    return all(any(int(e["step"]) == step and e["type"] == kind for e in s.events) for s in snaps)


def _lines(ax, snaps: Sequence[Snapshot], cols: Sequence[tuple[str, str, str]], scale: float = 1.0) -> None:
    """Plot ``(column, label, colour)`` series for each run; B dashed."""
    for snap in snaps:
        for col, label, colour in cols:
            y = _series(snap, col, scale)
            ax.plot(
                np.arange(len(y)),
                y,
                ls=RUN_STYLE[snap.name],
                color=colour,
                lw=1.6,
                label=label if snap.name == "A" else None,
                gid=f"{snap.name}|{col}|{scale}",
            )


def _data_range(ax) -> tuple[float, float]:
    ys = [line.get_ydata() for line in ax.lines if line.get_gid() and len(line.get_ydata())]
    if not ys:
        return 0.0, 1.0
    data = np.concatenate(ys)
    data = data[np.isfinite(data)]
    if not len(data):
        return 0.0, 1.0
    return float(data.min()), float(data.max())


def _limits(ax, lo: float | None = None, hi: float | None = None, headroom: float = 0.06) -> None:
    """Fit the y axis to the data lines, keeping any fixed bound; remembered for live updates.

    ``headroom`` is the share of the data range left free above (and below) the
    data: live charts leave more, so that growing lines rarely force a full redraw.
    """
    ax._cx_limits = (lo, hi)
    dmin, dmax = _data_range(ax)
    pad = headroom * (dmax - dmin) or max(abs(dmax) * headroom, 0.5 if hi is None else 0.0) or 1.0
    bottom = lo if lo is not None else dmin - pad
    top = hi if hi is not None else max(dmax + pad, bottom + 1e-9)
    ax.set_ylim(bottom, top)


def _fits(ax) -> bool:
    """Whether the data lines still lie within the axes' current y limits."""
    dmin, dmax = _data_range(ax)
    bottom, top = ax.get_ylim()
    return bottom <= dmin and dmax <= top


def _set_data(fig: Figure, snaps: Sequence[Snapshot]) -> None:
    """Give every data line (those with a ``run|column|scale`` gid) the snapshots' data."""
    by_run = {s.name: s for s in snaps}
    for ax in fig.axes:
        for line in ax.lines:
            gid = line.get_gid()
            if not gid:
                continue
            run, col, scale = gid.split("|")
            y = _series(by_run[run], col, float(scale))
            line.set_data(np.arange(len(y)), y)


def update(fig: Figure, snaps: Sequence[Snapshot], horizon: int) -> None:
    """Refresh a time-series figure drawn by ``figure`` with newer snapshots of the same runs."""
    _set_data(fig, snaps)
    last = max(s.steps for s in snaps)
    for ax in fig.axes:
        if hasattr(ax, "_cx_limits"):
            ax.set_xlim(0, max(horizon, last, 1))
            _limits(ax, *ax._cx_limits)


def _run_key(fig: Figure, snaps: Sequence[Snapshot]) -> None:
    """In compare mode, say which line style is which run."""
    if len(snaps) < 2:
        return
    handles = [Line2D([], [], color="#333333", ls=RUN_STYLE[s.name], lw=1.6) for s in snaps]
    fig.legend(
        handles,
        [f"{s.name}: {s.title}" for s in snaps],
        loc="lower center",
        ncols=2,
        fontsize=7.5,
        frameon=False,
        bbox_to_anchor=(0.5, 0.0),
    )


def _bottom(snaps: Sequence[Snapshot]) -> float:
    return 0.2 if len(snaps) > 1 else 0.13


def _help(*cols: str) -> str:
    return " ".join(METRICS[c].meaning for c in cols)


# ------------------------------------------------------------ time series
def draw_culture(fig: Figure, snaps: Sequence[Snapshot], horizon: int) -> None:
    ax = fig.subplots()
    cols = [(f"culture_{d}", d, DEPT_COLOUR[d]) for d in DEPARTMENTS if d != "executive"]
    _lines(ax, snaps, cols)
    _lines(ax, snaps, [("culture_mean", "whole firm", "black")])
    for line in ax.lines:
        if line.get_color() == "black":
            line.set_linewidth(2.8)
    _limits(ax, 0, 1)
    ax.set_ylabel("customer focus (0-1)", fontsize=8)
    ax.set_xlabel("week", fontsize=8)
    _style(ax, horizon, snaps)
    _events(ax, snaps)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.subplots_adjust(left=0.09, right=0.8, top=0.95, bottom=_bottom(snaps) + 0.05)
    _run_key(fig, snaps)


def draw_funnel(fig: Figure, snaps: Sequence[Snapshot], horizon: int) -> None:
    ax = fig.subplots()
    cols = [
        ("prospects", "prospects", SEGMENT_COLOUR["prospect"]),
        ("active_customers", "active customers", "#1f77b4"),
        ("churned", "former customers", SEGMENT_COLOUR["churned"]),
    ]
    _lines(ax, snaps, cols)
    ax.set_ylabel("people", fontsize=8)
    ax.set_xlabel("week", fontsize=8)
    ax.yaxis.set_major_formatter(FuncFormatter(money))
    _style(ax, horizon, snaps)
    market = sum(float(snaps[0].series(c)[0]) for c in ("prospects", "active_customers", "churned"))
    _limits(ax, 0, 1.05 * market)
    _events(ax, snaps)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.subplots_adjust(left=0.1, right=0.77, top=0.95, bottom=_bottom(snaps) + 0.05)
    _run_key(fig, snaps)


def _rows(fig: Figure, snaps, horizon, rows) -> None:
    """Stacked panels sharing the week axis: ``(column, label, colour, scale, ylim, formatter)``."""
    axes = fig.subplots(len(rows), 1, sharex=True)
    for ax, (col, label, colour, scale, ylim, fmt) in zip(axes, rows, strict=True):
        _lines(ax, snaps, [(col, label, colour)], scale)
        ax.set_ylabel(label, fontsize=8)
        _style(ax, horizon, snaps)
        _limits(ax, *(ylim or (None, None)))
        if fmt is not None:
            ax.yaxis.set_major_formatter(FuncFormatter(fmt))
        _events(ax, snaps, labels=ax is axes[0])
    axes[-1].set_xlabel("week", fontsize=8)
    fig.subplots_adjust(left=0.14, right=0.97, top=0.97, bottom=_bottom(snaps) + 0.03, hspace=0.15)
    _run_key(fig, snaps)


# While playing, the NPS axis spans at least this many points: NPS starts near 0, where a
# range relative to its size would be tiny, and moves by tens of points in a run.
NPS_SPAN = 40.0


def draw_satisfaction(fig: Figure, snaps: Sequence[Snapshot], horizon: int) -> None:
    _rows(
        fig,
        snaps,
        horizon,
        [
            ("satisfaction_mean", "satisfaction", "#1f77b4", 1.0, (0, 1), None),
            ("nps", "NPS", "#2a9d4b", 1.0, None, None),
            ("churn_rate", "churn %/week", "#d1495b", 100.0, None, None),
        ],
    )
    fig.axes[1]._cx_span = NPS_SPAN


def draw_service(fig: Figure, snaps: Sequence[Snapshot], horizon: int) -> None:
    _rows(
        fig,
        snaps,
        horizon,
        [
            ("speed_of_answer_seconds", "wait (s)", "#8c564b", 1.0, (0, None), None),
            ("abandonment_rate", "hung up %", "#d1495b", 100.0, (0, None), None),
            ("lost_presale", "buyers lost", "#6b6b6b", 1.0, (0, None), None),
            ("first_contact_resolution", "solved 1st %", "#2a9d4b", 100.0, (0, 100), None),
        ],
    )


def draw_people(fig: Figure, snaps: Sequence[Snapshot], horizon: int) -> None:
    _rows(
        fig,
        snaps,
        horizon,
        [
            ("wellbeing_mean", "wellbeing", "#9467bd", 1.0, (0, 1), None),
            ("employee_turnover", "quits %/week", "#d1495b", 100.0, (0, None), None),
            ("service_quality", "service quality", "#1f77b4", 1.0, (0, 1), None),
        ],
    )


def draw_money(fig: Figure, snaps: Sequence[Snapshot], horizon: int) -> None:
    axes = fig.subplots(2, 1, sharex=True)
    _lines(axes[0], snaps, [("revenue", "revenue", "#1f77b4"), ("profit", "profit", "#2a9d4b")])
    axes[0].axhline(0, color="#999999", lw=0.8)
    axes[0].set_ylabel("per week", fontsize=8)
    axes[0].legend(fontsize=7, loc="upper left", frameon=False, ncols=2)
    _lines(axes[1], snaps, [("cumulative_profit", "cumulative profit", "#2a9d4b")])
    axes[1].axhline(0, color="#999999", lw=0.8)
    axes[1].set_ylabel("cumulative profit", fontsize=8)
    axes[1]._cx_grows = True
    for ax in axes:
        ax.yaxis.set_major_formatter(FuncFormatter(money))
        _style(ax, horizon, snaps)
        _limits(ax)
        _events(ax, snaps, labels=ax is axes[1])
    axes[1].set_xlabel("week", fontsize=8)
    fig.subplots_adjust(left=0.13, right=0.97, top=0.97, bottom=_bottom(snaps) + 0.03, hspace=0.15)
    _run_key(fig, snaps)


def draw_wom(fig: Figure, snaps: Sequence[Snapshot], horizon: int) -> None:
    ax = fig.subplots()
    cols = [
        ("wom_positive", "recommendations heard", SEGMENT_COLOUR["promoter"]),
        ("wom_negative", "warnings heard", SEGMENT_COLOUR["detractor"]),
    ]
    _lines(ax, snaps, cols)
    ax.set_ylabel("people per week", fontsize=8)
    ax.set_xlabel("week", fontsize=8)
    ax.yaxis.set_major_formatter(FuncFormatter(money))
    _style(ax, horizon, snaps)
    _limits(ax, lo=0)
    _events(ax, snaps)
    ax.legend(fontsize=7, loc="upper left", frameon=False)
    fig.subplots_adjust(left=0.1, right=0.97, top=0.95, bottom=_bottom(snaps) + 0.05)
    _run_key(fig, snaps)


# ------------------------------------------------------------- structure
def draw_org(fig: Figure, snaps: Sequence[Snapshot], horizon: int) -> None:
    axes = fig.subplots(1, len(snaps), squeeze=False)[0]
    fig.subplots_adjust(left=0.01, right=0.93, top=0.92, bottom=0.02, wspace=0.04)
    mappable = None
    for ax, snap in zip(axes, snaps, strict=True):
        st = snap.structure
        mappable = _org_detail(ax, snap) if st.org_x is not None else _org_aggregate(ax, snap)
        ax.set_axis_off()
        week = f"week {snap.steps}"
        ax.set_title(f"{snap.name}: {snap.title} ({week})" if len(snaps) > 1 else week, fontsize=8)
    cax = fig.add_axes((0.945, 0.12, 0.012, 0.75))
    cbar = fig.colorbar(mappable, cax=cax)
    cbar.set_label("customer focus (red low, green high)", fontsize=8)
    cbar.ax.tick_params(labelsize=7)


def _org_detail(ax, snap: Snapshot):
    st = snap.structure
    x, y, n = st.org_x, st.org_y, st.org_size
    child = np.flatnonzero(st.parent >= 0)
    segs = np.stack(
        [np.column_stack([x[st.parent[child]], y[st.parent[child]]]), np.column_stack([x[child], y[child]])],
        axis=1,
    )
    ax.add_collection(LineCollection(segs, colors="#b0b0b0", linewidths=0.4, zorder=0))
    here = snap.present
    size = float(np.clip(6000.0 / max(n, 1), 6, 60))
    sizes = np.where(st.level == 0, size * 2.5, np.where(st.level == 1, size * 1.5, size))
    sc = ax.scatter(
        x[here],
        y[here],
        c=snap.centricity[here],
        cmap=CENTRICITY_CMAP,
        vmin=0,
        vmax=1,
        s=sizes[here],
        edgecolors="#333333",
        linewidths=0.2,
        zorder=2,
    )
    if (~here).any():
        ax.scatter(x[~here], y[~here], marker="x", s=size * 1.3, c="#444444", linewidths=1.0, zorder=3)
    bottom = float(y.min())
    for d, name in enumerate(DEPARTMENTS):
        members = st.dept == d
        if name == "executive" or not members.any():
            continue
        drop = 0.3 + 0.45 * (d % 2)  # alternate heights so neighbouring names do not collide
        ax.text(float(np.median(x[members])), bottom - drop, name, ha="center", va="top", fontsize=7.5)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(bottom - 1.4, 0.5)
    return sc


def _org_aggregate(ax, snap: Snapshot):
    """Large organisations: one disc per department and level, sized by headcount."""
    st = snap.structure
    nd = len(DEPARTMENTS)
    xs, ys, cs, ss = [], [], [], []
    here = snap.present
    total = max(1, st.org_size)
    for d in range(nd):
        for lv in range(len(LEVELS)):
            mask = here & (st.dept == d) & (st.level == lv)
            if not mask.any():
                continue
            xs.append(d)
            ys.append(-lv)
            cs.append(float(snap.centricity[mask].mean()))
            ss.append(30 + 2500 * np.sqrt(mask.sum() / total))
    for d in range(1, nd):
        ax.plot([nd / 2 - 0.5, d], [0.8, 0], color="#b0b0b0", lw=0.6, zorder=0)
    ax.scatter([nd / 2 - 0.5], [0.8], c=[snap.centricity[0]], cmap=CENTRICITY_CMAP, vmin=0, vmax=1, s=120)
    sc = ax.scatter(
        xs, ys, c=cs, s=ss, cmap=CENTRICITY_CMAP, vmin=0, vmax=1, edgecolors="#333333", linewidths=0.4
    )
    for d, name in enumerate(DEPARTMENTS):
        ax.text(d, -2.6, name, ha="center", va="top", fontsize=7, rotation=25)
    for lv, name in enumerate(LEVELS):
        ax.text(-0.9, -lv, name, ha="right", va="center", fontsize=7)
    ax.set_xlim(-2.2, nd)
    ax.set_ylim(-3.4, 1.2)
    ax.text(nd / 2 - 0.5, 1.1, f"{int(here.sum()):,} employees (aggregated)", ha="center", fontsize=7)
    return sc


def segments(status: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Each person's segment: prospect, churned, or an active promoter/passive/detractor."""
    out = np.full(len(status), "passive", dtype=object)
    out[status == PROSPECT] = "prospect"
    out[status == CHURNED] = "churned"
    active = status == ACTIVE
    out[active & (score >= PROMOTER_MIN)] = "promoter"
    out[active & (score <= DETRACTOR_MAX)] = "detractor"
    return out


def draw_network(fig: Figure, snaps: Sequence[Snapshot], horizon: int) -> None:
    axes = fig.subplots(1, len(snaps), squeeze=False)[0]
    for ax, snap in zip(axes, snaps, strict=True):
        st = snap.structure
        seg = segments(snap.status[st.net_nodes], snap.score[st.net_nodes])
        xy, e = st.net_xy, st.net_edges
        if len(e):
            ax.add_collection(
                LineCollection(np.stack([xy[e[:, 0]], xy[e[:, 1]]], axis=1), colors="#cccccc", linewidths=0.5)
            )
        market = segments(snap.status, snap.score)
        active = max(1, int((snap.status == ACTIVE).sum()))
        handles = []
        for name, colour in SEGMENT_COLOUR.items():
            sel = seg == name
            marker = "x" if name == "churned" else "o"
            background = name == "prospect"
            ax.scatter(
                xy[sel, 0],
                xy[sel, 1],
                s=10 if background else 30,
                c=colour,
                marker=marker,
                linewidths=0.8 if marker == "x" else 0.3,
                edgecolors=None if marker == "x" or background else "#333333",
                zorder=1 if background else 3,
            )
            count = int((market == name).sum())
            if name in ("promoter", "passive", "detractor"):
                share = f"{100 * count / active:.0f}% of customers"
            else:
                share = f"{count:,} in market"
            handles.append(
                Line2D([], [], marker=marker, ls="", color=colour, label=f"{SEGMENT_LABEL[name]}: {share}")
            )
        ax.set_axis_off()
        title = f"{snap.name}: {snap.title}, week {snap.steps}" if len(snaps) > 1 else f"week {snap.steps}"
        ax.set_title(title, fontsize=8)
        ax.legend(
            handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(0.0, 0.0), ncols=2, frameon=False
        )
    fig.subplots_adjust(left=0.02, right=0.98, top=0.92, bottom=0.22, wspace=0.05)


# ------------------------------------------------------------------ registry
CHARTS: dict[str, Chart] = {
    c.key: c
    for c in (
        Chart(
            "culture",
            "Customer focus by department",
            _help("culture_mean") + " Thin lines: one per department.",
            draw_culture,
        ),
        Chart(
            "funnel",
            "Customer funnel",
            _help("prospects", "active_customers", "churned"),
            draw_funnel,
        ),
        Chart(
            "satisfaction",
            "Satisfaction, NPS and churn",
            _help("satisfaction_mean", "nps", "churn_rate"),
            draw_satisfaction,
            size=(6.4, 3.9),
        ),
        Chart(
            "service",
            "Waiting and abandonment",
            _help("speed_of_answer_seconds", "abandonment_rate", "lost_presale", "first_contact_resolution"),
            draw_service,
            size=(6.4, 4.8),
        ),
        Chart(
            "people",
            "People and service quality",
            _help("wellbeing_mean", "employee_turnover", "service_quality"),
            draw_people,
            size=(6.4, 3.9),
        ),
        Chart(
            "money",
            "Revenue and profit",
            _help("revenue", "profit", "cumulative_profit"),
            draw_money,
            size=(6.4, 3.6),
        ),
        Chart(
            "wom",
            "Word of mouth",
            _help("wom_positive", "wom_negative"),
            draw_wom,
        ),
        Chart(
            "org",
            "Org chart by customer focus",
            "Each dot is a position, coloured by its holder's customer focus (red low, green high); "
            "grey crosses are empty positions; lines are reporting lines.",
            draw_org,
            size=(12.8, 3.9),
            heavy=True,
        ),
        Chart(
            "network",
            "Customers talking to each other",
            f"A sample of customers and their social ties: promoters ({PROMOTER_BAND}) recommend, "
            f"detractors ({DETRACTOR_BAND}) warn; "
            "grey dots are prospects, crosses former customers.",
            draw_network,
            size=(6.4, 3.9),
            heavy=True,
        ),
    )
}


def figure(key: str, snaps: Sequence[Snapshot], horizon: int) -> Figure:
    """Draw chart ``key`` for the runs ``snaps`` on a week axis up to ``horizon``."""
    chart = CHARTS[key]
    w, h = chart.size
    if chart.heavy and len(snaps) > 1 and key == "network":
        w *= 2
    fig = Figure(figsize=(w, h), dpi=DPI)
    chart.draw(fig, snaps, horizon)
    return fig


def png(fig: Figure, dpi: float | None = None) -> bytes:
    """The figure as PNG bytes (fast compression: redraws happen many times a second)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi or fig.dpi, pil_kwargs={"compress_level": 1})
    return buf.getvalue()


class Backgrounds:
    """Chart backgrounds (everything but the data lines) drawn lately in this process, by
    what they show, so that sessions showing the same thing draw it once.

    In a workshop every participant starts from the same preset and seed, so
    their charts match week by week until they move a lever: then one full
    draw (about 0.1 s) serves them all. Least recently used entries go first.
    """

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._items: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> np.ndarray | None:
        with self._lock:
            pixels = self._items.get(key)
            if pixels is not None:
                self._items.move_to_end(key)
            return pixels

    def put(self, key: tuple, pixels: np.ndarray) -> None:
        pixels.flags.writeable = False
        with self._lock:
            self._items[key] = pixels
            self._items.move_to_end(key)
            while len(self._items) > self.entries:
                self._items.popitem(last=False)


# About 0.6 MB each: 48 keep the backgrounds of a dozen different runs' overview charts.
BACKGROUNDS = Backgrounds(entries=48)


class LiveChart:
    """A time-series chart redrawn cheaply while a run plays (blitting).

    Axes, grid, labels and legend are drawn once and kept as a background
    bitmap; each redraw pastes it and draws only the data lines and the event
    markers over it, then encodes the image: about a tenth of a full matplotlib draw. The
    background is redrawn only when the runs change, or when the data leave
    the axes, which are set with room to grow (y by ``HEADROOM``, and past
    the horizon x by ``X_GROWTH``); a background another session of the process
    has drawn is reused (``BACKGROUNDS``). Frames drawn while playing are JPEG
    (``fast``): encoding one takes a tenth of the time of a PNG and looks the
    same at full quality without chroma subsampling; still pictures are PNG.
    Heavy views (org chart, network) are drawn in full each time.
    """

    HEADROOM = 0.6  # room to grow, as a share of the y range: a full redraw only when the data leave it
    MIN_SPAN = 0.5  # the y range spans at least half the values' size, so early weeks' tiny wiggles fit
    MIN_ABS_SPAN = 1.0  # and at least one unit (people, minutes, percent, money) when values are near 0
    X_GROWTH = 0.5  # past the horizon, the week axis grows by this share of the horizon at a time
    JPEG_QUALITY = 90  # with 4:4:4 sampling, lines and text look as sharp as in the PNG

    def __init__(self, key: str) -> None:
        self.key = key
        self.fig: Figure | None = None
        self.canvas: FigureCanvasAgg | None = None
        self.signature: tuple | None = None
        self.events: tuple = ()
        self.background = None
        self.backgrounds = 0  # full draws of the background so far (the expensive part), for tests

    def render(self, snaps: Sequence[Snapshot], horizon: int, fast: bool = False) -> bytes:
        """The chart for ``snaps`` as PNG bytes, or JPEG bytes when ``fast``."""
        if CHARTS[self.key].heavy:
            return encode(figure(self.key, snaps, horizon), fast)
        signature = (horizon, tuple((s.name, s.scenario, id(s.structure)) for s in snaps))
        events = tuple(tuple((int(e["step"]), e["type"]) for e in s.events) for s in snaps)
        if self.fig is None or signature != self.signature:
            self.fig = figure(self.key, snaps, horizon)
            self.canvas = FigureCanvasAgg(self.fig)
            self.signature, self.events = signature, events
            self._background(horizon, snaps, fresh=True)
        else:
            _set_data(self.fig, snaps)
            if events != self.events:
                self._mark(snaps)
                self.events = events
            last = max(s.steps for s in snaps)
            if last > self._axes()[0].get_xlim()[1] or not all(_fits(ax) for ax in self._axes()):
                self._background(horizon, snaps)
        return self._blit(fast)

    def _mark(self, snaps: Sequence[Snapshot]) -> None:
        """Replace the event markers: they are drawn over the background, not into it,
        so firing an event costs no full redraw."""
        for ax in self._axes():
            for artist in getattr(ax, "_cx_events", []):
                artist.remove()
            _events(ax, snaps, labels=getattr(ax, "_cx_event_labels", True))
            for artist in ax._cx_events:
                artist.set_animated(True)

    def _axes(self) -> list:
        return [ax for ax in self.fig.axes if hasattr(ax, "_cx_limits")]

    def _lines(self) -> list:
        return [(ax, line) for ax in self._axes() for line in ax.lines if line.get_gid()]

    def _overlay(self) -> list:
        """What is drawn over the background each frame, bottom first: event lines, data
        lines, event labels."""
        out = []
        for ax in self._axes():
            marks = getattr(ax, "_cx_events", [])
            out += [(ax, a) for a in marks if isinstance(a, Line2D)]
            out += [(ax, line) for line in ax.lines if line.get_gid()]
            out += [(ax, a) for a in marks if not isinstance(a, Line2D)]
        return out

    def _background(self, horizon: int, snaps: Sequence[Snapshot], fresh: bool = False) -> None:
        last = max(s.steps for s in snaps)
        right = horizon if last <= horizon else last + max(1, round(self.X_GROWTH * horizon))
        for ax in self._axes():
            ax.set_xlim(0, max(right, 1))
            headroom = self.HEADROOM
            if getattr(ax, "_cx_grows", False):  # a running total: leave room for the rest of the run
                headroom = max(headroom, min(4.0, (horizon - last) / max(last, 1)))
            self._grow(ax, headroom, fresh)
        for _, artist in self._overlay():
            artist.set_animated(True)
        key = (
            self.key,
            self.canvas.get_width_height(),
            self.signature[0],
            tuple((s.name, s.scenario, s.title) for s in snaps),
            tuple((ax.get_xlim(), ax.get_ylim()) for ax in self._axes()),
        )
        pixels = BACKGROUNDS.get(key)
        if pixels is None:
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)
            BACKGROUNDS.put(key, np.array(self.background))
            self.backgrounds += 1
        else:  # another session drew this very background: paste its pixels
            self.canvas.get_renderer()
            np.asarray(self.canvas.buffer_rgba())[...] = pixels
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)

    def _grow(self, ax, headroom: float, fresh: bool) -> None:
        """Set the y range with room to grow: at least ``MIN_SPAN`` of the values' size, and
        when the data outgrew the previous range, at least twice that range, so the number
        of full redraws stays small however far the lines wander."""
        lo, hi = ax._cx_limits
        if lo is not None and hi is not None:
            ax.set_ylim(lo, hi)
            return
        dmin, dmax = _data_range(ax)
        least = max(
            self.MIN_SPAN * max(abs(dmin), abs(dmax)), self.MIN_ABS_SPAN, getattr(ax, "_cx_span", 0.0)
        )
        span = max(dmax - dmin, least)
        if not fresh:
            bottom, top = ax.get_ylim()
            span = max(span, top - bottom)
        pad = headroom * span
        bottom = lo if lo is not None else dmin - pad
        top = hi if hi is not None else dmax + pad
        ax.set_ylim(bottom, max(top, bottom + self.MIN_ABS_SPAN))

    def _blit(self, fast: bool) -> bytes:
        self.canvas.restore_region(self.background)
        for ax, artist in self._overlay():
            ax.draw_artist(artist)
        w, h = self.canvas.get_width_height()
        image = Image.frombuffer("RGBA", (w, h), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        return _encode_image(image.convert("RGB"), fast)


def _encode_image(image: Image.Image, fast: bool) -> bytes:
    buf = io.BytesIO()
    if fast:
        image.save(buf, format="jpeg", quality=LiveChart.JPEG_QUALITY, subsampling=0)
    else:
        image.save(buf, format="png", compress_level=1)  # fast compression: still pictures change often too
    return buf.getvalue()


def encode(fig: Figure, fast: bool = False) -> bytes:
    """The figure drawn as PNG bytes, or as JPEG bytes when ``fast`` (see ``LiveChart``)."""
    if not fast:
        return png(fig)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    w, h = canvas.get_width_height()
    image = Image.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    return _encode_image(image.convert("RGB"), fast)


def render(key: str, snaps: Sequence[Snapshot], horizon: int, dpi: float | None = None) -> bytes:
    """Chart ``key`` as PNG bytes."""
    return png(figure(key, snaps, horizon), dpi=dpi)
