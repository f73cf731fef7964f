"""The facilitator's console (``/workshop/console?code=...``): opened only with the
workshop's facilitator key, entered once and kept for the browser session.

It shows the join code with its QR code; the teams with their status, decisions and
KPIs; the round's controls (open the decision window with an optional countdown, close
it, play the round for every team at once, undo the last round); events for every team
or one; the leaderboard on the balanced scorecard with the facilitator's weights and a
reveal switch; every team's trajectory overlaid, one chart per measure; a drill-down
into one team; the debrief and the exports; and a projector mode (large type, one
chart at a time).
"""

from __future__ import annotations

import html
import io
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import solara
import solara.lab
from solara import v

from model.events import EVENTS
from viz import components as ui
from viz import figures
from viz.rooms import parts
from viz.rooms.room import (
    BASE,
    announce,
    code_from,
    join_url,
    leading,
    team_run,
    team_runs,
    use_version,
)
from viz.rooms.session import KEY_COOKIE, attempt, client, hub, opened, remember, secret
from viz.rooms.widgets import qr_svg
from workshop import Console, WorkshopError
from workshop.access import normalise_code, show_code
from workshop.decisions import describe
from workshop.scorecard import MEASURES
from workshop.views import Report, Status

COUNTDOWNS = {"no countdown": None, "1 min": 60, "2 min": 120, "3 min": 180, "5 min": 300, "10 min": 600}
PROJECTOR_FONT = 24
PROJECTOR_HEIGHT = 620  # px: the chart and the header above it fit a 1080-line projector
TURNOVER = MEASURES["employee_turnover"].metric


def open_console(code: str, key: str | None) -> tuple[Console | None, str | None]:
    """The console for ``code`` with ``key``, or None and why not (None without a key)."""
    return opened(lambda: hub().facilitator(code, key, client())) if key else (None, None)


@solara.component
def ConsolePage() -> None:
    """The console of the workshop in the address, behind its key."""
    router = solara.use_router()
    code = code_from(router)
    key = secret(KEY_COOKIE, code)
    console, problem = solara.use_memo(lambda: open_console(code, key), [code, key])
    if console is None:
        KeyForm(code, problem)
        return
    ConsoleView(console)


@solara.component
def KeyForm(code: str, problem: str | None) -> None:
    """Asks for the facilitator key; a join link brings a team here, and this is all it sees."""
    code_text = solara.use_reactive(code)
    key_text = solara.use_reactive("")
    error = solara.use_reactive(problem)

    def unlock() -> None:
        console = attempt(lambda: hub().facilitator(code_text.value, key_text.value, client()), error)
        if console:
            remember(KEY_COOKIE, console.status().code, key_text.value)

    with solara.Div(classes=["room-card", "key-form"], style={"max-width": "560px"}):
        solara.HTML(tag="h2", unsafe_innerHTML="Facilitator console")
        solara.Text(
            "The console opens with the workshop's facilitator key (printed when the workshop was created). "
            "This browser keeps it until it is closed. Teams join on their own page, not here."
        )
        solara.InputText("Join code", value=code_text, continuous_update=True, classes=["console-code"])
        solara.InputText(
            "Facilitator key", value=key_text, password=True, continuous_update=True, classes=["console-key"]
        )
        solara.Button("Open the console", color="primary", on_click=unlock, classes=["unlock-btn"])
        parts.FieldError(error, "key")
        with solara.Link(BASE):
            solara.Button("Back to the workshop lobby", text=True)


@solara.component
def ConsoleView(console: Console) -> None:
    version = use_version(console.version)
    state, why = solara.use_memo(
        lambda: opened(lambda: (console.status(), console.report())), [version.value]
    )
    if version.value < 0 or why:
        solara.Error(why or "This workshop has been deleted.")
        return
    ConsoleBody(console, version, *state)


@solara.component
def ConsoleBody(console: Console, version: solara.Reactive[int], status: Status, report: Report) -> None:
    projector = solara.use_reactive(False)

    def refresh() -> None:
        try:
            version.set(console.version())
        except WorkshopError:  # deleted (here, or from the command line)
            version.set(-1)
        announce()

    def lock() -> None:
        remember(KEY_COOKIE, status.code, None)

    with solara.Column(classes=["room", "console"] + (["projector"] if projector.value else []), gap="12px"):
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap", "gap": "12px"}):
            solara.HTML(tag="h1", unsafe_innerHTML=html.escape(status.title), classes=["workshop-title"])
            solara.Text(f"Join code {status.shown_code}", classes=["state"])
            v.Spacer()
            solara.Switch(label="Projector mode", value=projector, classes=["projector-switch"])
            if not projector.value:
                solara.Button("Lock the console", icon_name="mdi-lock", text=True, on_click=lock)
        if projector.value:
            Projector(status, report)
            return
        with solara.Div(classes=["room-grid"]):
            JoinCard(status.code)
            RoundCard(console, status, refresh)
            EventsCard(console, status, report, refresh)
        TeamsCard(console, status, report, refresh)
        LeaderboardCard(console, status, report, refresh)
        Trajectories(report, (status.rounds_done, len(report.teams)))
        DrillDown(report, (status.rounds_done, len(report.teams), status.version))
        DebriefCard(console, status)
        DeleteCard(console, status, refresh)


@solara.component
def JoinCard(code: str) -> None:
    url = join_url(code)
    with solara.Div(classes=["room-card", "join-card"]):
        solara.HTML(tag="h2", unsafe_innerHTML="Teams join with")
        with solara.Row(style={"align-items": "center", "gap": "16px", "flex-wrap": "wrap"}):
            parts.html_block(qr_svg(url), ["qr"])
            with solara.Column(gap="4px"):
                solara.Text(show_code(code), classes=["join-code"])
                solara.Text(url, classes=["join-link"])
                ui.caption("Scan the code or open the link, then choose a team name.")


@solara.component
def RoundCard(console: Console, status: Status, refresh) -> None:
    error = solara.use_reactive(None)
    countdown = solara.use_reactive("5 min")
    confirm_undo = solara.use_reactive(False)
    r = status.deciding

    def play() -> None:
        with leading():  # the console shows the round played before 30 team pages render it
            attempt(lambda: console.advance(expect_round=r), error)
            refresh()

    playing = solara.lab.use_task(play, dependencies=None)

    def open_window() -> None:
        seconds = COUNTDOWNS.get(countdown.value) if countdown.value in COUNTDOWNS else None
        attempt(lambda: console.open_window(seconds), error)
        refresh()

    def close_window() -> None:
        attempt(console.close_window, error)
        refresh()

    def undo() -> None:
        confirm_undo.set(False)
        attempt(lambda: console.undo(expect_round=status.rounds_done), error)
        refresh()

    submitted = sum(t.submitted for t in status.teams)
    with solara.Div(classes=["room-card", "round-card"]):
        parts.RoundState(status)
        solara.Text(f"{submitted} of {len(status.teams)} teams have submitted.", classes=["submitted-count"])
        if not status.finished:
            with solara.Row(style={"align-items": "center", "flex-wrap": "wrap", "gap": "8px"}):
                if not status.window_open:
                    with solara.Div(style={"width": "150px"}):
                        solara.Select("Countdown", values=list(COUNTDOWNS), value=countdown)
                    solara.Button(
                        f"Open round {r}", color="primary", on_click=open_window, classes=["open-btn"]
                    )
                else:
                    solara.Button(
                        "Close the window", outlined=True, on_click=close_window, classes=["close-btn"]
                    )
                solara.Button(
                    f"Play round {r} for every team",
                    color="success",
                    on_click=playing,
                    disabled=playing.pending or not status.teams,
                    classes=["advance-btn"],
                )
        if playing.pending:
            solara.ProgressLinear(True)
            solara.Text(f"Playing round {r} for {len(status.teams)} teams...")
        if status.rounds_done:
            if confirm_undo.value:
                solara.Text(f"Undo round {status.rounds_done}? Its results go; submissions stay, locked.")
                with solara.Row():
                    solara.Button("Yes, undo it", color="error", on_click=undo, classes=["undo-yes"])
                    solara.Button("No", text=True, on_click=lambda: confirm_undo.set(False))
            else:
                solara.Button(
                    f"Undo round {status.rounds_done}",
                    text=True,
                    icon_name="mdi-undo",
                    on_click=lambda: confirm_undo.set(True),
                    classes=["undo-btn"],
                )
        parts.FieldError(error, "round")


@solara.component
def EventsCard(console: Console, status: Status, report: Report, refresh) -> None:
    kind = solara.use_reactive(next(iter(EVENTS)))
    target = solara.use_reactive("every team")
    week = solara.use_reactive(0)
    picked = solara.use_reactive({})
    error = solara.use_reactive(None)
    names = [t.name for t in report.teams]

    def fire() -> None:
        team = None if target.value == "every team" else target.value
        attempt(lambda: console.fire(kind.value, team=team, week=week.value, **picked.value), error)
        refresh()

    def choose(new: object) -> None:
        if new in EVENTS:
            kind.set(new)
            picked.set({})

    pending = [e for e in report.events if e.round > status.rounds_done]
    with solara.Div(classes=["room-card", "events-card"]):
        solara.HTML(tag="h2", unsafe_innerHTML="Events")
        if status.finished:
            solara.Text("The workshop is over.")
            return
        v.Select(
            label="Event",
            items=[{"text": e.label, "value": k} for k, e in EVENTS.items()],
            v_model=kind.value,
            on_v_model=choose,
            dense=True,
            class_="event-kind",
        )
        ui.caption(ui.event_help(kind.value, picked.value))
        with solara.Row(style={"gap": "8px", "flex-wrap": "wrap"}):
            with solara.Div(style={"min-width": "170px"}):
                solara.Select("For", values=["every team", *names], value=target, classes=["event-target"])
            with solara.Div(style={"min-width": "260px", "flex": "1"}):
                solara.SliderInt(
                    f"Week of round {status.deciding}: {week.value}",
                    value=week,
                    min=0,
                    max=status.round_weeks - 1,
                )
        for name in EVENTS[kind.value].shown:
            ui.EventOption(kind.value, name, picked)
        solara.Button(
            f"Fire in round {status.deciding}",
            color="primary",
            outlined=True,
            on_click=fire,
            classes=["fire-btn"],
        )
        parts.FieldError(error, "event")
        for e in pending:
            with solara.Row(style={"align-items": "center"}):
                solara.Text(
                    f"Round {e.round}, week {e.week}: {EVENTS[e.kind].label} for {e.team or 'every team'}",
                    classes=["pending-event"],
                )
                solara.Button(
                    "Cancel",
                    text=True,
                    small=True,
                    on_click=lambda e=e: (attempt(lambda: console.cancel(e.id), error), refresh()),
                )


@solara.component
def TeamsCard(console: Console, status: Status, report: Report, refresh) -> None:
    chosen = solara.use_reactive("")
    error = solara.use_reactive(None)
    link = solara.use_reactive("")
    confirm = solara.use_reactive(False)
    board = {s.team: s for s in report.leaderboard()} if status.rounds_done else {}
    rows = []
    for t, ts in zip(report.teams, status.teams, strict=False):
        state = "submitted" if ts.submitted else ("draft" if ts.drafted else "waiting")
        words = {"submitted": "submitted", "draft": "deciding", "waiting": "not started"}[state]
        pending = describe(t.pending) if t.pending is not None else "–"
        k = t.rounds[-1].kpis
        cells = "".join(f"<td>{parts.measure_text(m, k.get(m))}</td>" for m in MEASURES)
        rank = board[t.name].rank if t.name in board else "–"
        rows.append(
            f"<tr><td class='text'><b>{html.escape(t.name)}</b></td><td class='text status-{state}'>{words}</td>"
            f"<td class='text'>{html.escape(pending)}</td>{cells}<td>{rank}</td></tr>"
        )
    head = "".join(f"<th>{html.escape(m.label)}</th>" for m in MEASURES.values())

    def act(action) -> None:
        if not chosen.value:
            error.set("Choose a team first.")
            return
        if attempt(lambda: action(chosen.value), error):
            refresh()

    def new_link() -> None:
        token = attempt(lambda: console.team_link(chosen.value), error) if chosen.value else None
        if token:
            link.set(f"{join_url(status.code)}#t={token}")

    def remove() -> None:
        confirm.set(False)
        act(console.remove_team)
        chosen.set("")

    with solara.Div(classes=["room-card", "teams-card"]):
        solara.HTML(tag="h2", unsafe_innerHTML=f"Teams ({len(report.teams)})")
        if not rows:
            solara.Text("No team has joined yet: show them the join code.")
            return
        parts.html_block(
            "<div class='table-scroll'><table class='teams-table'><thead><tr><th class='text'>Team</th>"
            f"<th class='text'>Round {status.deciding or status.rounds}</th><th class='text'>Decision so far</th>"
            f"{head}<th>Rank</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        )
        ui.caption("Measures at the end of the last round played; turnover is quits per year.")
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap", "gap": "8px"}):
            with solara.Div(style={"min-width": "200px"}):
                solara.Select(
                    "Team", values=[t.name for t in report.teams], value=chosen, classes=["team-pick"]
                )
            solara.Button(
                "Unlock its submission", outlined=True, small=True, on_click=lambda: act(console.unlock)
            )
            solara.Button("New team link", outlined=True, small=True, on_click=new_link)
            if confirm.value:
                solara.Button(f"Yes, remove {chosen.value}", color="error", small=True, on_click=remove)
                solara.Button("No", text=True, small=True, on_click=lambda: confirm.set(False))
            else:
                solara.Button(
                    "Remove", text=True, small=True, on_click=lambda: confirm.set(bool(chosen.value))
                )
        parts.FieldError(error, "team")
        if link.value:
            solara.Text(f"Give this link to the team: {link.value}", classes=["team-link"])


@solara.component
def LeaderboardCard(console: Console, status: Status, report: Report, refresh) -> None:
    error = solara.use_reactive(None)

    def set_weight(measure: str, value: float) -> None:
        attempt(lambda: console.set_weights({**report.weights, measure: value}), error)
        refresh()

    def reveal(shown: bool) -> None:
        attempt(lambda: console.show_ranks(shown), error)
        refresh()

    with solara.Div(classes=["room-card", "leaderboard-card"]):
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.HTML(tag="h2", unsafe_innerHTML="Leaderboard")
            v.Spacer()
            solara.Switch(
                label="Shown to teams", value=status.ranks_shown, on_value=reveal, classes=["reveal-switch"]
            )
        if status.rounds_done:
            parts.html_block(parts.leaderboard_table(report.leaderboard()))
            ui.caption(
                "On each measure the room's best team gets 100 points and its worst 0; the score is the "
                "weighted mean. Lower turnover is better."
            )
        else:
            solara.Text("The leaderboard appears once the first round is played.")
        with solara.Details("Weights of the scorecard", expand=False):
            with solara.Div(classes=["room-grid"]):
                for m, spec in MEASURES.items():
                    with solara.Div(classes=[f"weight-{m}"]):
                        solara.Text(f"{spec.label}: {report.weights[m]:g}")
                        ui.Slider(report.weights[m], lambda w, m=m: set_weight(m, w), 0, 3, 0.5)
        parts.FieldError(error, "weights")


class ScoredWeeks:
    """A team's weeks with turnover as the scorecard reads it: quits per year over all the
    weeks played so far (the weekly count is too noisy to compare teams by)."""

    def __init__(self, weeks) -> None:
        self.weeks = weeks

    def series(self, metric: str) -> np.ndarray:
        y = np.asarray(self.weeks.series(metric), dtype=float)
        if metric != TURNOVER or len(y) < 2:
            return y
        out = np.full_like(y, np.nan)
        out[1:] = 52.0 * np.cumsum(y[1:]) / np.arange(1, len(y))
        return out


def measure_figure(report: Report, measure: str, height: int = 380, font: int = figures.TICK_PX):
    """Every team's trajectory on one scorecard measure; a larger ``font`` (the projector)
    drops the axis title, which the chart's title already says."""
    spec = MEASURES[measure]
    s = report.status
    runs = [replace(run, weeks=ScoredWeeks(run.weeks)) for run in team_runs(report)]
    title = spec.label + (", quits per year so far" if spec.metric == TURNOVER else "")
    fig = figures.overlay(
        spec.metric,
        runs,
        s.rounds * s.round_weeks,
        title,
        key=f"overlay-{measure}",
        every=s.round_weeks,
        height=height,
        font=font,
    )
    if spec.metric == TURNOVER:
        fig.update_yaxes(title_text="quits per year (%)")
    if font > figures.TICK_PX:  # large type needs room above for the legend, below for the axis
        fig.update_yaxes(title_text="", automargin=True)
        fig.update_xaxes(automargin=True, title_standoff=12)
        fig.update_layout(margin={"t": 130, "b": 90, "l": 100, "r": 30}, legend_y=1.04)
    return fig


@solara.component
def Trajectories(report: Report, version: object) -> None:
    with solara.Div(classes=["room-card", "trajectories"]):
        solara.HTML(tag="h2", unsafe_innerHTML="Every team, one chart per measure")
        if not report.teams:
            solara.Text("No team yet.")
            return
        with solara.Div(classes=["room-charts"]):
            for m in MEASURES:
                with solara.Div(classes=["chart", f"overlay-{m}"]):
                    MeasurePlot(report, m, version)


def measure_lines(report: Report, measure: str) -> list[np.ndarray]:
    """The y values of ``measure_figure``'s lines, a team each."""
    metric = MEASURES[measure].metric
    return [ScoredWeeks(t.weeks).series(metric) for t in report.teams]


@solara.component
def MeasurePlot(
    report: Report, measure: str, version: object, height: int = 380, font: int = figures.TICK_PX
) -> None:
    """``measure_figure``, drawn whole only when the teams or the look change; a round
    played sends only the lines' new values."""
    s = report.status
    shape = (measure, tuple(t.name for t in report.teams), s.rounds * s.round_weeks, height, font)
    parts.RoundPlot(
        lambda: measure_figure(report, measure, height, font),
        lambda: measure_lines(report, measure),
        shape,
        version,
        f"teams-{measure}",
    )


@solara.component
def Projector(status: Status, report: Report) -> None:
    """Large type, one picture at a time: the leaderboard or one measure for every team."""
    shown = solara.use_reactive("Leaderboard")
    choices = ["Leaderboard", *[m.label for m in MEASURES.values()]]
    with solara.Row(style={"align-items": "center", "gap": "32px", "flex-wrap": "wrap"}):
        solara.Text(status.shown_code, classes=["join-code"])
        parts.RoundState(status)
    solara.ToggleButtonsSingle(value=shown, values=choices, classes=["projector-pick"])
    if shown.value == "Leaderboard":
        if status.rounds_done:
            parts.html_block(parts.leaderboard_table(report.leaderboard()))
        else:
            solara.Text("The leaderboard appears once the first round is played.")
        return
    measure = next(m for m, spec in MEASURES.items() if spec.label == shown.value)
    with solara.Div(classes=["chart", "projector-chart"]):
        MeasurePlot(
            report, measure, (status.rounds_done, len(report.teams)), PROJECTOR_HEIGHT, PROJECTOR_FONT
        )


@solara.component
def DrillDown(report: Report, version: object) -> None:
    chosen = solara.use_reactive("")
    with solara.Div(classes=["room-card", "drill-down"]):
        solara.HTML(tag="h2", unsafe_innerHTML="One team up close")
        names = [t.name for t in report.teams]
        with solara.Div(style={"max-width": "320px"}):
            solara.Select("Team", values=names, value=chosen, classes=["drill-pick"])
        if chosen.value not in names:
            return
        record = report.team(chosen.value)
        run = team_run(record, report.status.round_weeks, report.events)
        parts.Kpis(run, version)
        parts.html_block(parts.rounds_table(record))
        parts.TeamCharts(run, report.status.rounds * report.status.round_weeks, (version, chosen.value))


def export_zip(console: Console) -> bytes:
    """The workshop's export (``workshop.export``) as one zip file."""
    from workshop.export import write_export

    with tempfile.TemporaryDirectory() as folder:
        files = write_export(console.report(), console.debrief(), Path(folder) / "export")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            for path in files:
                z.write(path, path.name)
    return buffer.getvalue()


@solara.component
def DebriefCard(console: Console, status: Status) -> None:
    stem = f"workshop-{status.code}"
    with solara.Div(classes=["room-card", "debrief-card"]):
        solara.HTML(tag="h2", unsafe_innerHTML="Debrief and exports")
        with solara.Row(style={"gap": "8px", "flex-wrap": "wrap"}):
            solara.Button(
                "Open the debrief (printable)",
                href=f"{BASE}/debrief?code={status.code}",
                target="_blank",
                outlined=True,
                color="primary",
                classes=["debrief-link"],
            )
            solara.FileDownload(
                console.debrief,
                filename=f"{stem}-debrief.html",
                label="Debrief (HTML)",
                mime_type="text/html",
            )
            solara.FileDownload(
                lambda: export_zip(console), filename=f"{stem}.zip", label="Everything (CSV, JSON, HTML)"
            )
        ui.caption(
            "The debrief: standings round by round, every team's decisions beside its outcomes, the lessons read "
            "off your room's own data, and one replay per team with a decision changed. Print it to PDF from the "
            "browser. The zip holds weeks.csv, decisions.csv, leaderboard.csv, workshop.json and the debrief."
        )


@solara.component
def DeleteCard(console: Console, status: Status, refresh) -> None:
    """Delete the workshop and everything stored of it, once its join code is typed again."""
    typed = solara.use_reactive("")
    error = solara.use_reactive(None)

    def delete() -> None:
        if normalise_code(typed.value) != status.code:
            error.set(f"Type the join code {status.shown_code} to delete this workshop.")
            return
        if attempt(console.delete, error):
            remember(KEY_COOKIE, status.code, None)
            refresh()

    with solara.Details("Delete this workshop", expand=False):
        with solara.Div(classes=["delete-card"]):
            ui.caption(
                "Deleting removes every team, decision and result of this workshop from the data directory; "
                "it cannot be undone. Download the export above first to keep a copy."
            )
            with solara.Row(style={"align-items": "center", "gap": "8px", "flex-wrap": "wrap"}):
                solara.InputText(
                    "Join code, to confirm", value=typed, continuous_update=True, classes=["delete-code"]
                )
                solara.Button("Delete for good", color="error", on_click=delete, classes=["delete-btn"])
            parts.FieldError(error, "delete")
