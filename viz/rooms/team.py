"""A team's page (``/workshop/team?code=...``): join with the code and a team name, or come
back with the team's token, which this browser keeps (a reload, a lost connection or a
closed tab loses nothing: every choice is stored as a draft the moment it is made).

It shows the team's firm (KPIs, charts), its decisions of past rounds, the round's
countdown, its rank once the facilitator reveals it; the levers and the priced actions
of the round being decided, and Submit (then locked). Every refusal is one sentence
beside the control it came from. Laid out for a phone (390 px wide) and a laptop.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import solara
from solara import v

from model import SPECS
from model.departments import DEPARTMENTS
from viz import components as ui
from viz import figures
from viz.lab import InputError, check_lever, lever_label
from viz.rooms import parts
from viz.rooms.room import BASE, announce, code_from, join_url, team_run, use_version
from viz.rooms.session import TEAM_COOKIE, attempt, client, hub, opened, remember, say, secret
from viz.rooms.widgets import BrowserHooks
from workshop import Seat, WorkshopError
from workshop import decisions as dec
from workshop.views import Status

LAYOFF_DEFAULT = 0.1


def open_seat(code: str, token: str | None) -> tuple[Seat | None, str | None]:
    """The team's seat from its token, or None and why not (None without a token)."""
    return opened(lambda: hub().rejoin(code, token, client())) if token else (None, None)


@solara.component
def TeamPage() -> None:
    """A team's page for the workshop in the address."""
    router = solara.use_router()
    code = code_from(router)
    linked = solara.use_reactive("")  # a token from a team link (#t=...)
    BrowserHooks.element(read_hash=True, on_hash_token=linked.set)
    token = linked.value or secret(TEAM_COOKIE, code)
    seat, problem = solara.use_memo(lambda: open_seat(code, token), [code, token])

    def keep() -> None:
        if seat is not None and linked.value:
            remember(TEAM_COOKIE, code, linked.value)

    solara.use_effect(keep, [seat is not None, linked.value])
    if seat is None:
        JoinForm(code, problem)
        return
    TeamView(seat, token)


@solara.component
def JoinForm(code: str, problem: str | None) -> None:
    code_text = solara.use_reactive(code)
    name = solara.use_reactive("")
    code_error = solara.use_reactive(problem)
    name_error = solara.use_reactive(None)

    def join() -> None:
        code_error.set(None)
        name_error.set(None)
        try:
            seat = hub().join(code_text.value, name.value, client())
        except WorkshopError as exc:
            # a wrong code (or too many) belongs to the code; the rest to the name
            text = say(exc)
            (code_error if "code" in text.lower() else name_error).set(text)
            return
        remember(TEAM_COOKIE, code_text.value, seat.token)

    with solara.Div(classes=["room", "room-card", "join-form"], style={"max-width": "520px"}):
        solara.HTML(tag="h1", unsafe_innerHTML="Join your team")
        solara.InputText(
            "Join code (on the facilitator's screen)",
            value=code_text,
            continuous_update=True,
            classes=["join-code-input"],
        )
        parts.FieldError(code_error, "code")
        solara.InputText("Team name", value=name, continuous_update=True, classes=["team-name-input"])
        parts.FieldError(name_error, "name")
        solara.Button("Join", color="primary", on_click=join, classes=["join-btn"])
        ui.caption(
            "Your teammates open the team link shown on your page after you join (or ask the facilitator "
            "for a new one): a second team with the same name cannot be made."
        )
        with solara.Link(BASE):
            solara.Button("Back to the workshop lobby", text=True)


def read(seat: Seat):
    """What the team's page shows, read at once: status, record, leaderboard once revealed."""
    status = seat.status()
    board = seat.leaderboard() if status.ranks_shown else None
    return status, seat.record(), board


@solara.component
def TeamView(seat: Seat, token: str) -> None:
    version = use_version(seat.version)
    # the facilitator may have removed the team, or deleted the workshop
    state, why = solara.use_memo(lambda: opened(lambda: read(seat)), [version.value])
    if version.value < 0 or why:
        solara.Error(why or "This workshop has been deleted.")
        return
    TeamBody(seat, token, version, *state)


@solara.component
def TeamBody(seat: Seat, token: str, version: solara.Reactive[int], status: Status, record, board) -> None:
    standing = next((s for s in board or () if s.team == seat.name), None)
    run = solara.use_memo(
        lambda: team_run(record, status.round_weeks), [status.rounds_done, len(record.weeks)]
    )

    def refresh() -> None:
        version.set(seat.version())
        announce()

    with solara.Column(classes=["room", "team-page"], gap="10px"):
        with solara.Div(classes=["room-card", "team-head"]):
            with solara.Row(style={"align-items": "center", "flex-wrap": "wrap", "gap": "10px"}):
                solara.HTML(tag="h1", unsafe_innerHTML=html.escape(seat.name), classes=["team-name"])
                solara.Text(status.title, classes=["state"])
                v.Spacer()
                if standing is not None:
                    solara.Text(f"Rank {standing.rank} of {len(board)}", classes=["rank-badge"])
            parts.RoundState(status)
        parts.Kpis(run, status.rounds_done)
        Decisions(seat, status, record, refresh)
        with solara.Div(classes=["room-card"]):
            solara.HTML(tag="h2", unsafe_innerHTML="Your rounds")
            parts.html_block(parts.rounds_table(record))
        with solara.Div(classes=["leaderboard-slot"]):  # always there: what follows keeps its widgets
            if board:
                with solara.Details("Leaderboard", expand=False):
                    parts.html_block(parts.leaderboard_table(board, highlight=seat.name))
        with solara.Div(classes=["room-card"]):
            parts.TeamCharts(run, status.rounds * status.round_weeks, status.rounds_done)
        with solara.Details("Add a teammate's device", expand=False):
            link = f"{join_url(status.code)}#t={token}"
            solara.Text("Open this link on the other device (keep it within your team):")
            solara.Text(link, classes=["join-link", "team-link"])


@solara.component
def Decisions(seat: Seat, status: Status, record, refresh: Callable[[], None]) -> None:
    """The round's levers and actions, stored as a draft with every change, then Submit."""
    submit_error = solara.use_reactive(None)
    menu = solara.use_memo(lambda: None if status.finished else seat.menu(), [status.rounds_done])
    pending = record.pending or dec.Decision()
    actions = {a["action"]: {k: x for k, x in a.items() if k != "action"} for a in pending.actions}
    total = solara.use_memo(lambda: _total(seat, actions), [str(actions), status.rounds_done])
    levers = dict(pending.levers)

    # The draft as this render shows it, for the fields' callbacks: they close over this ref
    # (the same object every render), so a field whose own value did not change compares
    # equal and is not rendered again when another field is moved (reacton compares
    # callbacks by code and closure).
    now = solara.use_ref((levers, actions))
    now.current = (levers, actions)
    if menu is None:
        with solara.Div(classes=["room-card"]):
            solara.Text("The workshop is over: thank you for playing.", classes=["state"])
        return
    locked = record.pending_status == "submitted"

    def save_lever(name: str, value: float) -> None:
        """Store the draft with lever ``name`` at ``value``; raises the domain's refusal."""
        held, taken = now.current
        seat.draft({**held, name: value}, [{"action": n, **o} for n, o in taken.items()])
        refresh()

    def save_action(name: str, options: dict | None) -> None:
        """Store the draft with action ``name`` taken with ``options`` (None: not taken)."""
        held, taken = now.current
        rest = {k: o for k, o in taken.items() if k != name}
        if options is not None:
            rest[name] = options
        seat.draft(held, [{"action": n, **o} for n, o in rest.items()])
        refresh()

    def submit() -> None:
        if attempt(
            lambda: seat.submit(
                levers, [{"action": n, **o} for n, o in actions.items()], expect_round=status.deciding
            ),
            submit_error,
        ):
            refresh()

    r = status.deciding
    with solara.Div(classes=["room-card", "decisions"]):
        solara.HTML(tag="h2", unsafe_innerHTML=f"Your decisions for round {r}")
        if locked:
            solara.Text(
                f"Submitted: your decisions for round {r} are locked. The facilitator can unlock them.",
                classes=["ok-note", "locked-note"],
            )
        else:
            ui.caption(
                "Every change is saved as a draft at once; Submit when your team agrees. "
                "A team that does not submit keeps last round's levers and takes no action."
            )
        with solara.Div(classes=["room-grid"]):
            with solara.Div():
                solara.HTML(tag="h3", unsafe_innerHTML="Levers")
                for choice in menu.levers:
                    LeverField(choice, levers.get(choice.name, choice.value), locked, save_lever)
            with solara.Div():
                solara.HTML(tag="h3", unsafe_innerHTML="Actions (one-off costs)")
                for choice in menu.actions:
                    if choice.lever is not None and choice.value >= SPECS[choice.lever].hi:
                        continue  # already as high as it goes
                    ActionField(seat, choice, actions.get(choice.name), locked, save_action)
                solara.Text(
                    f"Total one-off cost this round: {figures.money(total)}", classes=["price", "total"]
                )
        if not locked:
            solara.Button(
                f"Submit round {r}",
                color="primary",
                on_click=submit,
                disabled=not status.accepting,
                classes=["submit-btn"],
            )
            if not status.accepting:
                ui.caption("Submit opens when the facilitator opens the decision window.")
        parts.FieldError(submit_error, "submit")


@solara.component
def LeverField(choice, value: float, locked: bool, save: Callable[[str, float], None]) -> None:
    """One lever: a slider (shown while dragged, stored when let go), its ends and meaning."""
    spec = SPECS[choice.name]
    shown = solara.use_reactive(value)
    error = solara.use_reactive(None)
    span = spec.hi - spec.lo
    step = 1 if spec.integer else (0.05 if span <= 2 else round(span / 40, 2))

    def store(new: object) -> None:
        try:
            save(choice.name, check_lever(choice.name, new))
        except (InputError, WorkshopError) as exc:
            error.set(say(exc))
            shown.set(value)
            return
        error.set(None)

    low, high = spec.ends
    with solara.Div(classes=["lever", f"lever-{choice.name}"]):
        number = shown.value if isinstance(shown.value, int | float) else value
        moved = "" if abs(number - choice.value) < 1e-9 else f" (now {choice.value:g})"
        solara.Text(f"{lever_label(choice.name)}: {number:g}{moved}", classes=["lever-label"])
        slider = v.Slider(
            v_model=shown.value,
            on_v_model=shown.set,
            min=spec.lo,
            max=spec.hi,
            step=step,
            disabled=locked,
            thumb_label=True,
            hide_details=True,
            class_="lever-slider",
        )
        v.use_event(slider, "change", lambda _w, _e, data: store(data))
        if low or high:
            with solara.Row(justify="space-between", classes=["lever-ends"]):
                solara.Text(f"{spec.lo:g} {low}")
                solara.Text(f"{spec.hi:g} {high}")
        parts.FieldError(error, choice.name)


def default_options(choice) -> dict:
    """What an action's options start at when the team ticks it."""
    if choice.name == "culture_programme":
        return {"departments": list(DEPARTMENTS)}
    if choice.name == "layoffs":
        return {"share": LAYOFF_DEFAULT}
    hi = SPECS[choice.lever].hi
    return {"level": round(min(hi, choice.value + 0.1 * (hi - SPECS[choice.lever].lo)), 2)}


@solara.component
def ActionField(
    seat: Seat, choice, options: dict | None, locked: bool, save: Callable[[str, dict | None], None]
) -> None:
    """One action: ticked or not, its options, and its price."""
    error = solara.use_reactive(None)
    taken = options is not None

    def store(new_options: dict | None) -> None:
        try:
            save(choice.name, new_options)
        except WorkshopError as exc:
            error.set(say(exc))
            return
        error.set(None)

    price = solara.use_memo(
        lambda: _quote(seat, choice, options or default_options(choice)), [str(options), choice.value]
    )
    with solara.Div(classes=["action-box", f"action-{choice.name}"]):
        v.Checkbox(
            label=f"{choice.label}: {figures.money(price) if price is not None else '–'}",
            v_model=taken,
            on_v_model=lambda on: store(default_options(choice) if on else None),
            disabled=locked,
            hide_details=True,
            dense=True,
            class_=f"take-{choice.name}",
        )
        ui.caption(choice.help)
        if taken:
            ActionOptions(choice, options, locked, store)
        parts.FieldError(error, f"action-{choice.name}")


def _total(seat: Seat, actions: dict) -> float:
    try:
        return seat.quote([{"action": n, **o} for n, o in actions.items()])
    except WorkshopError:
        return float("nan")


def _quote(seat: Seat, choice, options: dict) -> float | None:
    try:
        return seat.quote([{"action": choice.name, **options}])
    except WorkshopError:
        return None


@solara.component
def ActionOptions(choice, options: dict, locked: bool, store) -> None:
    if choice.name == "culture_programme":
        ProgrammeOptions(options, locked, store)
    else:
        AmountOption(choice, options, locked, store)


@solara.component
def ProgrammeOptions(options: dict, locked: bool, store) -> None:
    v.Select(
        label="Departments trained",
        items=list(DEPARTMENTS),
        v_model=options.get("departments", list(DEPARTMENTS)),
        on_v_model=lambda chosen: store({"departments": chosen}),
        multiple=True,
        dense=True,
        disabled=locked,
        class_="programme-departments",
    )


@solara.component
def AmountOption(choice, options: dict, locked: bool, store) -> None:
    """The one number an action takes: the level to raise a lever to, or the share laid off."""
    if choice.name == "layoffs":
        name, lo, hi, text = "share", *dec.LAYOFF_SHARES, "Share of staff laid off"
    else:
        spec = SPECS[choice.lever]
        name, lo, hi = "level", spec.lo, spec.hi
        text = f"Raise {lever_label(choice.lever).lower()} from {choice.value:g} to"
    shown = solara.use_reactive(options.get(name))
    slider = v.Slider(
        v_model=shown.value,
        on_v_model=shown.set,
        min=lo,
        max=hi,
        step=0.05,
        disabled=locked,
        thumb_label=True,
        hide_details=True,
        class_=f"option-{choice.name}",
    )
    solara.Text(f"{text}: {shown.value:g}" if isinstance(shown.value, int | float) else text)
    v.use_event(slider, "change", lambda _w, _e, data: store({name: data}))
