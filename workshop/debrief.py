"""The debrief: one self-contained HTML report of a workshop, printable to PDF.

It holds the leaderboard round by round, each team's decisions beside its
outcomes, the lessons of MODEL.md read off the teams' own data, and one
counterfactual per team (its path replayed with one decision changed). Charts
are Plotly with its JavaScript inline (``include_plotlyjs=True`` once), so the
file opens offline and fetches nothing; numbers and text are plain HTML.

What it says about the room is computed, never canned: which team spent least
and what its profit did early and late, how decisions and outcomes lined up.
With a handful of teams whose decisions moved together, the cross-team charts
are illustrations, not tests; the counterfactuals isolate one decision each.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import UTC, datetime

import plotly.graph_objects as go
import plotly.io as pio
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from model.metrics import METRICS
from model.params import SPECS
from workshop import decisions as dec
from workshop.scorecard import MEASURES, per_year

PALETTE = qualitative.Dark24 + qualitative.Light24
TRAJECTORIES = (  # (metric, title, how to show a value)
    ("cumulative_profit", "Cumulative profit", "money"),
    ("nps", "NPS", "number"),
    ("active_customers", "Active customers", "number"),
    ("culture_mean", "Customer focus of the staff (0..1)", "share"),
    ("employee_turnover", "Employee turnover, quits per year (4-week average)", "share"),
)
SCATTERS = (  # (lever, outcome measure or metric, title)
    ("leadership_commitment", "customer_focus", "Culture starts at the top"),
    ("employee_care", "employee_turnover", "Take care of employees"),
    ("service_staffing", "abandonment_rate", "Staff the phones"),
    ("marketing_promise", "satisfaction_mean", "Promise what you deliver"),
)

# Where the names of dots at one x go, lowest dot first, so close teams' names do not overlap.
LABEL_PLACES = ("bottom center", "top center", "middle right", "middle left")

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px;
       padding: 0 1rem; color: #1f2933; line-height: 1.45; }
h1 { margin-bottom: 0.2rem; } h2 { border-bottom: 2px solid #d9e2ec; padding-bottom: 0.2rem; margin-top: 2.2rem; }
.meta { color: #52606d; } .note { color: #52606d; font-size: 0.9rem; } td .note { white-space: nowrap; }
table { border-collapse: collapse; margin: 0.6rem 0 1rem; font-size: 0.9rem; width: 100%; }
th, td { border-bottom: 1px solid #e4e7eb; padding: 0.25rem 0.5rem; text-align: right; vertical-align: top; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
thead th { background: #f0f4f8; }
.lesson { background: #f8fafc; border-left: 4px solid #486581; padding: 0.5rem 1rem; margin: 0.8rem 0; }
.chart { page-break-inside: avoid; break-inside: avoid; }
.team { page-break-inside: avoid; break-inside: avoid; }
.wide { overflow-x: auto; }
@media (max-width: 640px) { body { margin: 1rem auto; padding: 0 0.6rem; } table { font-size: 0.8rem; }
                            th, td { padding: 0.2rem 0.3rem; } }
@media print { body { margin: 0; max-width: none; } h2 { page-break-after: avoid; break-after: avoid; }
               .pagebreak { page-break-before: always; break-before: page; } }
"""


def render(report, counterfactuals: Sequence = ()) -> str:
    """The debrief of ``report`` (a ``workshop.rooms.Report``) with ``counterfactuals``."""
    charts = _Charts()
    status = report.status
    colours = {t.name: PALETTE[i % len(PALETTE)] for i, t in enumerate(report.teams)}
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>Debrief: {_e(status.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>Debrief: {_e(status.title)}</h1>",
        _meta(report),
    ]
    if status.rounds_done == 0 or not report.teams:
        parts.append("<p>No round has been played yet: there is nothing to debrief.</p></body></html>")
        return "".join(parts)
    parts += [
        "<h2>Final standings</h2>",
        _final_table(report),
        "<h2>Round by round</h2>",
        _rounds_table(report),
        charts.add(_rank_chart(report, colours)),
        "<h2 class='pagebreak'>How the firms moved</h2>",
        "<p class='note'>Every team started from the same firm, with the same random numbers where "
        "decisions did not differ. Dotted lines mark the rounds.</p>",
        *[charts.add(_trajectory(report, colours, *spec)) for spec in TRAJECTORIES],
        "<h2 class='pagebreak'>Lessons from your own data</h2>",
        _cost_lesson(report, colours, charts),
        _scatter_lesson(report, colours, charts),
        "<h2 class='pagebreak'>What if? One decision changed</h2>",
        _counterfactuals(counterfactuals, charts, status.round_weeks),
        "<h2 class='pagebreak'>Each team's decisions and outcomes</h2>",
        *[_team_table(report, t) for t in report.teams],
        _events(report),
        _method(report),
        "</body></html>",
    ]
    return "".join(parts)


# --------------------------------------------------------------------------- choosing what to replay
def suggested_change(record) -> tuple[int, dict, tuple[str, ...]] | None:
    """The decision of a team to change in its counterfactual: its largest lever move
    (relative to the lever's range), held back from that round on; a team that moved
    no lever has its costliest action dropped instead. None if it decided nothing."""
    best = None
    for r in record.rounds[1:]:
        before = record.rounds[r.round - 1].levers
        for name, value in r.decision.levers.items():
            spec = SPECS[name]
            size = abs(value - before[name]) / (spec.hi - spec.lo)
            if size > 1e-9 and (best is None or size > best[0]):
                best = (size, r.round, {name: before[name]}, ())
    if best is not None:
        return best[1:]
    costly = [(r.charged, r.round, r.decision.actions) for r in record.rounds[1:] if r.decision.actions]
    if not costly:
        return None
    charged, round_no, actions = max(costly, key=lambda c: c[0])
    return round_no, {}, (actions[0]["action"],)


# --------------------------------------------------------------------------- sections
def _meta(report) -> str:
    s, start = report.status, report.start
    chart = start["org_chart"]["name"] if start["org_chart"] else "generated"
    created = datetime.fromtimestamp(report.created, UTC).strftime("%Y-%m-%d %H:%M UTC")
    weights = ", ".join(f"{MEASURES[m].label} {w:g}" for m, w in report.weights.items() if w)
    versions = ", ".join(f"{k} {v}" for k, v in report.provenance["versions"].items())
    return (
        f"<p class='meta'>Workshop {s.shown_code}, created {created}. Starting firm: "
        f"{_e(start['scenario']['toml']['scenario']['title'])} (<code>{_e(start['scenario']['name'])}</code>), "
        f"org chart {_e(chart)}, seed {start['seed']}"
        + (f", parameters {_e(_params(start['params']))}" if start["params"] else "")
        + f". {s.rounds_done} of {s.rounds} rounds of {s.round_weeks} weeks played by {len(s.teams)} teams.</p>"
        f"<p class='note'>Scorecard weights: {_e(weights)}. Software: {_e(versions)}; "
        f"cx-culture-lab {_e(report.provenance['package'])}. Print this page to PDF from the browser.</p>"
    )


def _final_table(report) -> str:
    board = report.leaderboard()
    head = "".join(f"<th>{_e(MEASURES[m].label)}</th>" for m in MEASURES)
    body = "".join(
        f"<tr><td>{s.rank}</td><td class='text'>{_e(s.team)}</td><td><b>{s.score:.1f}</b></td>"
        + "".join(
            f"<td>{_fmt(s.values[m], _kind(m))}<br><span class='note'>{s.points[m]:.0f} pts</span></td>"
            for m in MEASURES
        )
        + "</tr>"
        for s in board
    )
    return (
        f"<div class='wide'><table><thead><tr><th>Rank</th><th class='text'>Team</th><th>Score</th>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
        "<p class='note'>Points: on each measure the room's best team gets 100 and its worst 0, the rest in "
        "proportion; the score is their weighted mean. Lower turnover is better.</p>"
    )


def _rounds_table(report) -> str:
    boards = report.leaderboards()
    rounds = list(boards)
    head = "".join(f"<th>Round {r}</th>" for r in rounds)
    lines = []
    for t in report.teams:
        cells = []
        for r in rounds:
            line = next((s for s in boards[r] if s.team == t.name), None)
            cells.append(
                "<td>-</td>"
                if line is None
                else f"<td>{line.rank} <span class='note'>({line.score:.0f})</span></td>"
            )
        lines.append(f"<tr><td class='text'>{_e(t.name)}</td>{''.join(cells)}</tr>")
    return (
        f"<div class='wide'><table><thead><tr><th class='text'>Team</th>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table></div>"
        "<p class='note'>Rank (score) at the end of each round, with today's weights.</p>"
    )


def _rank_chart(report, colours) -> go.Figure:
    boards = report.leaderboards()
    fig = go.Figure()
    for t in report.teams:
        xs = [r for r in boards if any(s.team == t.name for s in boards[r])]
        ys = [next(s.rank for s in boards[r] if s.team == t.name) for r in xs]
        fig.add_scatter(x=xs, y=ys, mode="lines+markers", name=_e(t.name), line={"color": colours[t.name]})
    fig.update_yaxes(autorange="reversed", title="rank", dtick=1)
    fig.update_xaxes(title="round", dtick=1)
    return _layout(fig, "Rank after each round")


def _trajectory(report, colours, metric: str, title: str, kind: str) -> go.Figure:
    fig = go.Figure()
    for t in report.teams:
        ys = t.series(metric)
        if metric == "employee_turnover":
            ys = _rolling(ys, 4, scale=52.0)
        fig.add_scatter(
            x=list(range(len(ys))), y=ys, mode="lines", name=_e(t.name), line={"color": colours[t.name]}
        )
    _round_lines(fig, report.status)
    fig.update_xaxes(title="week")
    if kind == "money":
        fig.update_yaxes(tickformat=",.3s")
    return _layout(fig, title)


def _cost_lesson(report, colours, charts) -> str:
    """The cost cutter's lesson: ahead early, behind late? Read off who spent least."""
    teams = report.teams
    if len(teams) < 2:
        return "<p>With one team there is no room to compare against.</p>"
    spend = {t.name: _mean(t.series("cost")[1:]) for t in teams}
    focus = {t.name: t.rounds[-1].kpis["customer_focus"] for t in teams}
    cutter = min(spend, key=spend.get)
    centric = max(focus, key=focus.get)
    room_spend = _mean(list(spend.values()))
    weeks = report.status.round_weeks
    profit = {t.name: t.series("cumulative_profit") for t in teams}
    n = min(len(p) for p in profit.values())
    mean = [_mean([profit[t][w] for t in profit]) for w in range(n)]
    early, late = min(weeks, n - 1), n - 1

    def gap(name, week):
        return profit[name][week] - mean[week]

    fig = go.Figure()
    for t in teams:
        highlight = t.name in (cutter, centric)
        fig.add_scatter(
            x=list(range(n)),
            y=[profit[t.name][w] - mean[w] for w in range(n)],
            mode="lines",
            name=_e(t.name),
            line={"color": colours[t.name] if highlight else "#c5ccd3", "width": 3 if highlight else 1},
        )
    _round_lines(fig, report.status)
    fig.update_yaxes(title="cumulative profit minus the room's mean", tickformat=",.3s")
    fig.update_xaxes(title="week")
    cutter_text = (
        f"<b>{_e(cutter)}</b> spent least: {_fmt(spend[cutter], 'money')} a week on average, "
        f"{100 * (1 - spend[cutter] / room_spend):.0f}% below the room's mean. Its cumulative profit was "
        f"{_ahead(gap(cutter, early))} the room's mean after the first round and {_ahead(gap(cutter, late))} it "
        f"at the end; it ended with {_fmt(teams[_index(teams, cutter)].rounds[-1].kpis['active_customers'], 'number')} "
        f"active customers against the room's {_fmt(_mean([t.rounds[-1].kpis['active_customers'] for t in teams]), 'number')}."
    )
    verdict = (
        "That is the cost cutter's story of MODEL.md: ahead early, behind late."
        if gap(cutter, early) > 0 > gap(cutter, late)
        else "The cost cutter's story of MODEL.md (ahead early, behind late) did not play out in this room "
        "over these rounds; ask the room why."
    )
    centric_text = (
        f"<b>{_e(centric)}</b> built the strongest customer focus ({focus[centric]:.2f}); its cumulative profit "
        f"was {_ahead(gap(centric, early))} the mean after the first round and {_ahead(gap(centric, late))} it at the end."
    )
    return (
        "<h3>Cutting costs: ahead early, behind late?</h3>"
        f"<div class='lesson'><p>{cutter_text} {verdict}</p><p>{centric_text}</p></div>"
        + charts.add(_layout(fig, "Cumulative profit against the room's mean"))
    )


def _scatter_lesson(report, colours, charts) -> str:
    teams = report.teams
    fig = make_subplots(rows=2, cols=2, subplot_titles=[title for _, _, title in SCATTERS])
    for i, (lever, outcome, _) in enumerate(SCATTERS):
        row, col = divmod(i, 2)
        spec, pad = SPECS[lever], 0.08 * (SPECS[lever].hi - SPECS[lever].lo)
        dots = [
            (
                _mean([r.levers[lever] for r in t.rounds[1:]]),
                t.rounds[-1].kpis[outcome] if outcome in MEASURES else _mean(t.series(outcome)[1:]),
                t,
            )
            for t in teams
        ]
        places = _label_places([(x, y) for x, y, _ in dots], 0.03 * (spec.hi - spec.lo))
        for (x, y, t), place in zip(dots, places, strict=True):
            fig.add_scatter(
                x=[x],
                y=[y],
                mode="markers+text",
                text=[_e(t.name)],
                textposition=place,
                marker={"color": colours[t.name], "size": 11},
                cliponaxis=False,
                name=_e(t.name),
                showlegend=False,
                row=row + 1,
                col=col + 1,
            )
        fig.update_xaxes(
            title_text=f"{dec.lever_words(lever)} (mean over rounds)",
            range=[spec.lo - pad, spec.hi + pad],
            row=row + 1,
            col=col + 1,
        )
        fig.update_yaxes(title_text=_label(outcome), row=row + 1, col=col + 1)
    fig.update_layout(height=720)
    return (
        "<h3>Decisions against outcomes, team by team</h3>"
        f"<p class='note'>Each dot is a team: the lever's value averaged over the rounds against the outcome "
        f"({len(teams)} teams). Teams moved several levers at once, so a chart shows their joint effect; "
        "the replays below change one decision at a time.</p>" + charts.add(_layout(fig, None))
    )


def _label_places(points: list[tuple[float, float]], near: float) -> list[str]:
    """Where each point's name goes: points within ``near`` of each other in x form a
    column, named from its lowest point up in ``LABEL_PLACES``' order; a point alone in
    its column is named above."""
    columns: list[list[int]] = []
    for i in sorted(range(len(points)), key=lambda i: points[i]):
        if columns and abs(points[i][0] - points[columns[-1][0]][0]) <= near:
            columns[-1].append(i)
        else:
            columns.append([i])
    places = ["top center"] * len(points)
    for column in columns:
        if len(column) > 1:
            for rank, i in enumerate(sorted(column, key=lambda i: points[i][1])):
                places[i] = LABEL_PLACES[rank % len(LABEL_PLACES)]
    return places


def _counterfactuals(counterfactuals, charts, round_weeks: int) -> str:
    if not counterfactuals:
        return "<p>No team changed a decision, so there is nothing to replay.</p>"
    out = [
        "<p class='note'>Each team's own path (solid) beside the same path replayed with one decision "
        "changed (dashed): same start, same random numbers, same events, every other decision as taken.</p>"
    ]
    for cf in counterfactuals:
        fig = make_subplots(rows=1, cols=2, subplot_titles=["Cumulative profit", "NPS"])
        for col, metric in ((1, "cumulative_profit"), (2, "nps")):
            for label, weeks, dash in (
                ("as played", cf.actual, "solid"),
                ("what if", cf.alternative, "dash"),
            ):
                ys = weeks.series(metric)
                fig.add_scatter(
                    x=list(range(len(ys))),
                    y=ys,
                    mode="lines",
                    name=label,
                    line={"dash": dash, "color": "#243b53" if dash == "solid" else "#d64545"},
                    showlegend=col == 1,
                    row=1,
                    col=col,
                )
        fig.add_vline(x=(cf.round - 1) * round_weeks, line={"dash": "dot", "color": "#9aa5b1"})
        fig.update_yaxes(tickformat=",.3s", row=1, col=1)
        fig.update_layout(height=330)
        end_a, end_b = cf.actual[-1], cf.alternative[-1]
        out.append(
            f"<div class='team'><h3>{_e(cf.team)}: what if {_e(cf.change)}?</h3>"
            f"<p>By the end: cumulative profit {_fmt(end_a['cumulative_profit'], 'money')} as played against "
            f"{_fmt(end_b['cumulative_profit'], 'money')} with the change; NPS {_fmt(end_a['nps'], 'number')} "
            f"against {_fmt(end_b['nps'], 'number')}; active customers {_fmt(end_a['active_customers'], 'number')} "
            f"against {_fmt(end_b['active_customers'], 'number')}.</p>"
            + charts.add(_layout(fig, None))
            + "</div>"
        )
    return "".join(out)


def _team_table(report, record) -> str:
    boards = report.leaderboards()
    rows = []
    for r in record.rounds[1:]:
        rank = next((s.rank for s in boards.get(r.round, ()) if s.team == record.name), None)
        decided = "did not submit: nothing changed" if r.status == "carried" else dec.describe(r.decision)
        k = r.kpis
        rows.append(
            f"<tr><td>{r.round}</td><td class='text'>{_e(decided)}</td><td>{_fmt(r.charged, 'money')}</td>"
            f"<td>{_fmt(k['cumulative_profit'], 'money')}</td><td>{_fmt(k['nps'], 'number')}</td>"
            f"<td>{_fmt(k['active_customers'], 'number')}</td><td>{_fmt(k['employee_turnover'], 'per year')}</td>"
            f"<td>{_fmt(k['customer_focus'], 'share')}</td><td>{rank or '-'}</td></tr>"
        )
    return (
        f"<div class='team'><h3>{_e(record.name)}</h3><div class='wide'><table><thead><tr><th>Round</th><th class='text'>Decision</th>"
        "<th>One-off cost</th><th>Cum. profit</th><th>NPS</th><th>Customers</th><th>Turnover /yr</th>"
        f"<th>Focus</th><th>Rank</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div></div>"
    )


def _events(report) -> str:
    if not report.events:
        return ""
    rows = "".join(
        f"<tr><td>{e.round}</td><td>{e.week}</td><td class='text'>{_e(e.kind)}</td>"
        f"<td class='text'>{_e(_params(e.options) or 'defaults')}</td><td class='text'>{_e(e.team or 'every team')}</td></tr>"
        for e in report.events
    )
    return (
        "<h2>Events the facilitator fired</h2><div class='wide'><table><thead><tr><th>Round</th><th>Week</th>"
        f"<th class='text'>Event</th><th class='text'>Options</th><th class='text'>For</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div>"
    )


def _method(report) -> str:
    return (
        "<h2>How this was computed</h2><p class='note'>Each firm is a CX Culture Lab simulation, one step a "
        "week. The results are those stored when each round was played; whenever a firm is needed again it "
        "is rebuilt by replaying its team's decisions from the seed and checked against them. Common random numbers: every firm re-seeds its generator each week from "
        "the workshop's seed, so teams that decided alike had identical firms, and differences start where "
        "decisions differ; inside a week, firms that already differ draw their random numbers in a different "
        "order, so part of any gap between teams is still chance. Counterfactuals replay one team's path with "
        "one decision changed and everything else as it was. Turnover is quits per year over all weeks "
        "played. Action prices (weeks of wage): " + _e(_params(report.settings["prices"])) + ".</p>"
    )


# --------------------------------------------------------------------------- helpers
class _Charts:
    """Turns figures into HTML, with Plotly's JavaScript inline in the first one only."""

    def __init__(self) -> None:
        self.count = 0

    def add(self, fig: go.Figure) -> str:
        self.count += 1
        body = pio.to_html(
            fig,
            full_html=False,
            include_plotlyjs=self.count == 1,
            div_id=f"chart-{self.count}",
            config={"displaylogo": False, "responsive": True},
        )
        return f"<div class='chart'>{body}</div>"


def _layout(fig: go.Figure, title: str | None) -> go.Figure:
    fig.update_layout(
        title=title,
        template="plotly_white",
        height=fig.layout.height or 380,
        margin={"l": 60, "r": 20, "t": 60 if title else 40, "b": 50},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def _round_lines(fig: go.Figure, status) -> None:
    fig.update_xaxes(showgrid=False)
    for r in range(1, status.rounds_done):
        fig.add_vline(x=r * status.round_weeks, line={"dash": "dot", "color": "#829ab1", "width": 1})


def _rolling(values: list[float], window: int, scale: float) -> list[float]:
    out = [math.nan]
    for i in range(1, len(values)):
        chunk = [v for v in values[max(1, i - window + 1) : i + 1] if not math.isnan(v)]
        out.append(scale * sum(chunk) / len(chunk) if chunk else math.nan)
    return out


def _mean(values) -> float:
    values = [v for v in values if v is not None and not math.isnan(v)]
    return sum(values) / len(values) if values else math.nan


def _index(teams, name: str) -> int:
    return next(i for i, t in enumerate(teams) if t.name == name)


def _ahead(gap: float) -> str:
    return f"{_fmt(abs(gap), 'money')} {'ahead of' if gap >= 0 else 'behind'}"


def _kind(measure: str) -> str:
    return {"cumulative_profit": "money", "employee_turnover": "per year", "customer_focus": "share"}.get(
        measure, "number"
    )


def _label(name: str) -> str:
    if name in MEASURES:
        return MEASURES[name].label
    return METRICS[name].label if name in METRICS else name.replace("_", " ")


def _fmt(value, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if kind == "money":
        return f"{value:,.0f}"
    if kind == "share":
        return f"{value:.2f}"
    if kind == "per year":
        return per_year(value)
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}"


def _params(values: dict) -> str:
    return ", ".join(f"{k}={'+'.join(v) if isinstance(v, list) else v}" for k, v in values.items())


def _e(text) -> str:
    return html.escape(str(text), quote=True)
