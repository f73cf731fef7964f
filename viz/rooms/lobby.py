"""The workshop lobby (``/workshop``): join a team, watch, open the facilitator's console;
and, for the facilitator at the server's own machine, create a workshop and list the
workshops in the data directory (a join code is a way in, so the list is not shown to
other machines)."""

from __future__ import annotations

import html
from datetime import datetime

import solara
from solara import v

from model import available
from viz import components as ui
from viz.lab import scenario_info
from viz.rooms import parts
from viz.rooms.room import BASE
from viz.rooms.session import KEY_COOKIE, TEAM_COOKIE, attempt, client, hub, local, remember
from workshop import WorkshopConfig
from workshop.access import normalise_code, show_code
from workshop.rooms import MAX_ROUND_WEEKS, MAX_ROUNDS


@solara.component
def Lobby() -> None:
    with solara.Column(classes=["room", "lobby"], gap="12px"):
        solara.HTML(tag="h1", unsafe_innerHTML="Workshop rooms")
        ui.caption(
            "Teams play the same firm in rounds; the facilitator plays each round for every team at once and "
            "shows a leaderboard. The explorer is at the address's root."
        )
        with solara.Div(classes=["room-grid"]):
            JoinCard()
            WatchCard()
            FacilitatorCard()
        if local():
            with solara.Div(classes=["room-grid"]):
                CreateCard()
                ListCard()


@solara.component
def JoinCard() -> None:
    code = solara.use_reactive("")
    name = solara.use_reactive("")
    code_error = solara.use_reactive(None)
    name_error = solara.use_reactive(None)
    router = solara.use_router()

    def join() -> None:
        canonical = normalise_code(code.value)
        code_error.set(None)
        seat = attempt(lambda: hub().join(code.value, name.value, client()), name_error)
        if name_error.value and "code" in name_error.value.lower():
            code_error.set(name_error.value)
            name_error.set(None)
        if seat:
            remember(TEAM_COOKIE, canonical, seat.token)
            router.push(f"{BASE}/team?code={canonical}")

    with solara.Div(classes=["room-card", "lobby-join"]):
        solara.HTML(tag="h2", unsafe_innerHTML="Join a team")
        solara.InputText("Join code", value=code, continuous_update=True, classes=["lobby-code"])
        parts.FieldError(code_error, "code")
        solara.InputText("Team name", value=name, continuous_update=True, classes=["lobby-team"])
        parts.FieldError(name_error, "name")
        solara.Button("Join", color="primary", on_click=join, classes=["lobby-join-btn"])


@solara.component
def WatchCard() -> None:
    code = solara.use_reactive("")
    error = solara.use_reactive(None)
    router = solara.use_router()

    def watch() -> None:
        if attempt(lambda: hub().observe(code.value, client()), error):
            router.push(f"{BASE}/watch?code={normalise_code(code.value)}")

    with solara.Div(classes=["room-card", "lobby-watch"]):
        solara.HTML(tag="h2", unsafe_innerHTML="Watch")
        solara.InputText("Join code", value=code, continuous_update=True, classes=["watch-code"])
        solara.Button("Watch", outlined=True, on_click=watch, classes=["watch-btn"])
        parts.FieldError(error, "watch")
        ui.caption("Follow the room without playing: nothing can be changed from there.")


@solara.component
def FacilitatorCard() -> None:
    code = solara.use_reactive("")
    key = solara.use_reactive("")
    error = solara.use_reactive(None)
    router = solara.use_router()

    def open_console() -> None:
        if attempt(lambda: hub().facilitator(code.value, key.value, client()), error):
            canonical = normalise_code(code.value)
            remember(KEY_COOKIE, canonical, key.value)
            router.push(f"{BASE}/console?code={canonical}")

    with solara.Div(classes=["room-card", "lobby-facilitate"]):
        solara.HTML(tag="h2", unsafe_innerHTML="Facilitate")
        solara.InputText("Join code", value=code, continuous_update=True, classes=["facilitate-code"])
        solara.InputText(
            "Facilitator key", value=key, password=True, continuous_update=True, classes=["facilitate-key"]
        )
        solara.Button("Open the console", outlined=True, on_click=open_console, classes=["facilitate-btn"])
        parts.FieldError(error, "facilitate")


@solara.component
def CreateCard() -> None:
    scenario = solara.use_reactive("baseline")
    title = solara.use_reactive("")
    rounds = solara.use_reactive(8)
    weeks = solara.use_reactive(13)
    seed = solara.use_reactive(1)
    error = solara.use_reactive(None)
    made = solara.use_reactive(None)
    router = solara.use_router()

    def create() -> None:
        created = attempt(
            lambda: hub().create(
                WorkshopConfig(
                    scenario=scenario.value if scenario.value in available() else "",
                    rounds=rounds.value,
                    round_weeks=weeks.value,
                    seed=seed.value,
                    title=title.value.strip() or None,
                )
            ),
            error,
        )
        if created:
            made.set(created)

    def open_console() -> None:
        remember(KEY_COOKIE, made.value.code, made.value.key)
        router.push(f"{BASE}/console?code={made.value.code}")

    with solara.Div(classes=["room-card", "lobby-create"]):
        solara.HTML(tag="h2", unsafe_innerHTML="Create a workshop")
        if made.value is not None:
            solara.Text(f"Created: {made.value.title}", classes=["ok-note"])
            solara.Text(f"Join code {made.value.shown_code}", classes=["join-code"])
            solara.Text(f"Facilitator key: {made.value.key}", classes=["created-key"])
            ui.caption(
                "The key is shown only now and alone opens the console: write it down. This browser keeps it "
                "until it is closed."
            )
            with solara.Row():
                solara.Button(
                    "Open the console", color="primary", on_click=open_console, classes=["created-open"]
                )
                solara.Button("Create another", text=True, on_click=lambda: made.set(None))
            return
        v.Select(
            label="Starting firm",
            items=[{"text": scenario_info(n).title, "value": n} for n in available()],
            v_model=scenario.value,
            on_v_model=scenario.set,
            dense=True,
            class_="create-scenario",
        )
        ui.caption(scenario_info(scenario.value).description if scenario.value in available() else "")
        solara.InputText("Title (optional)", value=title, continuous_update=True, classes=["create-title"])
        with solara.Row(style={"gap": "8px", "flex-wrap": "wrap"}):
            solara.InputInt(f"Rounds (1-{MAX_ROUNDS})", value=rounds, classes=["create-rounds"])
            solara.InputInt(f"Weeks a round (1-{MAX_ROUND_WEEKS})", value=weeks, classes=["create-weeks"])
            solara.InputInt("Seed", value=seed, classes=["create-seed"])
        solara.Button("Create", color="primary", on_click=create, classes=["create-btn"])
        parts.FieldError(error, "create")
        ui.caption("Shown on this machine only. 'cxlab workshop new' does the same from a terminal.")


@solara.component
def ListCard() -> None:
    rows = hub().workshops()
    with solara.Div(classes=["room-card", "lobby-list"]):
        solara.HTML(tag="h2", unsafe_innerHTML="Workshops on this machine")
        ui.caption(f"In {hub().data_dir}; opening one asks for its facilitator key.")
        if not rows:
            solara.Text("None yet.")
            return
        for r in rows[:30]:
            when = datetime.fromtimestamp(r.created).strftime("%Y-%m-%d %H:%M")
            with solara.Row(style={"align-items": "center", "gap": "8px"}):
                with solara.Link(f"{BASE}/console?code={r.code}"):
                    solara.Button(show_code(r.code), text=True, classes=["open-workshop"])
                solara.HTML(
                    tag="span",
                    unsafe_innerHTML=html.escape(
                        f"{r.title} ({r.scenario}), {when}: {r.rounds_done}/{r.rounds} rounds, {r.teams} teams"
                    ),
                )
