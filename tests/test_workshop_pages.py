"""The workshop pages without a browser: the lobby, the console, a team's page and the
observer rendered with ``solara.render`` against a real hub on a real SQLite file, clicked
through their widgets, and every bad input answered with a sentence beside its control."""

from __future__ import annotations

import time

import pytest
import solara
from page_widgets import by_class, walk
from workshop_helpers import PLAN, Clock, new_room, play

from model import SPECS
from viz.rooms import console as console_page
from viz.rooms import session
from viz.rooms.console import ConsoleView, KeyForm
from viz.rooms.lobby import Lobby
from viz.rooms.team import JoinForm, TeamView
from viz.rooms.watch import Watch
from workshop.scorecard import MEASURES


def one(box, name: str):
    found = by_class(box, name)
    assert found, f"nothing with class {name}"
    return found[0]


def text(box) -> str:
    strings = [c for w in walk(box) for c in (getattr(w, "children", None) or []) if isinstance(c, str)]
    strings += [getattr(w, "label", "") or "" for w in walk(box)]
    strings += [getattr(w, "unsafe_innerHTML", "") or "" for w in walk(box)]
    return " ".join(strings)


def field(box, name: str):
    """The input widget (a text field) under class ``name``."""
    found = [w for w in walk(one(box, name)) if hasattr(w, "v_model")]
    return found[0] if found else one(box, name)


def errors(box, name: str) -> list[str]:
    return [w.children[0] for w in by_class(box, f"error-{name}")]


def type_in(box, name: str, value: str) -> None:
    field(box, name).v_model = value


def click(box, name: str, timeout: float = 10.0) -> None:
    """Click the widget of class ``name`` once it has its handler: a page rendering in
    another thread (it follows the workshop) can show a button a moment before."""

    def clicked() -> bool:
        found = by_class(box, name)
        try:
            found and found[0].click()
        except ValueError:  # "'click' not found in widget": not attached yet
            return False
        return bool(found)

    wait(clicked, timeout)


def said(box, name: str, words: str = "", timeout: float = 5.0) -> str:
    """The sentence the page shows beside control ``name``, once it shows one with ``words``
    in it (in any case); fails with what it shows instead."""
    deadline = time.monotonic() + timeout
    while not any(words.lower() in e.lower() for e in errors(box, name)):
        assert time.monotonic() < deadline, f"{name}: {words!r} never said; shown: {errors(box, name)}"
        time.sleep(0.05)
    return next(e for e in errors(box, name) if words.lower() in e.lower())


def wait(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the page never got there")
        time.sleep(0.05)


@pytest.fixture()
def room(tmp_path):
    clock = Clock()
    hub, created, console, seats = new_room(tmp_path / "data", clock=clock)
    session.use_hub(hub)
    yield hub, created, console, seats, clock
    session.use_hub(None)
    hub.close()


@pytest.fixture()
def render():
    contexts = []

    def go(element):
        box, rc = solara.render(element, handle_error=False)
        contexts.append(rc)
        return box

    yield go
    for rc in contexts:
        rc.close()


# ------------------------------------------------------------------ joining
def test_joining_refuses_a_wrong_code_and_a_taken_name_beside_the_field(room, render):
    hub, created, *_ = room
    box = render(JoinForm("", None))
    type_in(box, "join-code-input", "ZZZ-ZZZ")
    type_in(box, "team-name-input", "Purple")
    click(box, "join-btn")
    sentence = said(box, "code", "no workshop has the join code")
    assert sentence.endswith(".") and sentence[0].isupper()
    type_in(box, "join-code-input", created.shown_code.lower())
    type_in(box, "team-name-input", "red")  # Red is taken (names ignore case)
    click(box, "join-btn")
    assert not errors(box, "code")
    said(box, "name", "is taken")
    assert [t.name for t in hub.report(created.code).teams] == ["Red", "Blue", "Green"]
    type_in(box, "team-name-input", "Purple")
    click(box, "join-btn")
    assert not errors(box, "name")
    assert session.secret(session.TEAM_COOKIE, created.code)  # the token is kept for this browser
    assert "Purple" in [t.name for t in hub.report(created.code).teams]


def test_guessing_codes_is_limited_with_a_sentence(room, render):
    box = render(JoinForm("", None))
    type_in(box, "team-name-input", "Purple")
    for _ in range(11):
        type_in(box, "join-code-input", "ABCDEF")
        click(box, "join-btn")
    said(box, "code", "too many wrong join codes")


def test_the_lobby_offers_creation_and_the_list_only_on_the_servers_machine(room, render, monkeypatch):
    hub, created, *_ = room
    box = render(Lobby())
    assert by_class(box, "lobby-create") and created.shown_code in text(box)
    type_in(box, "create-title", "Offsite")
    field(box, "create-rounds").v_model = "3"
    click(box, "create-btn")
    assert "Facilitator key:" in text(box)
    assert "Offsite" in [w.title for w in hub.workshops()]
    monkeypatch.setattr(
        session.solara.lab.headers, "value", {"x-cxlab-client": ["192.168.1.20"]}, raising=False
    )
    monkeypatch.setattr(session, "local", lambda: False)
    remote = render(Lobby())
    assert not by_class(remote, "lobby-create") and created.shown_code not in text(remote)


# ------------------------------------------------------------------ a team's page
def seat_page(render, seat):
    return render(TeamView(seat, "token-not-shown"))


def slider(box, lever: str):
    return next(w for w in walk(one(box, f"lever-{lever}")) if type(w).__name__ == "Slider")


def move(box, lever: str, value) -> None:
    widget = slider(box, lever)
    widget.v_model = value
    widget.fire_event("change", value)


def test_a_team_drafts_levers_and_actions_then_submits_and_is_locked(room, render):
    hub, created, console, seats, clock = room
    red = seats["Red"]
    box = seat_page(render, red)
    assert "Submit opens when the facilitator opens" in text(box)
    move(box, "empowerment", 0.85)
    assert red.record().pending.levers == {"empowerment": 0.85}
    take = next(w for w in walk(one(box, "action-culture_programme")) if type(w).__name__ == "Checkbox")
    take.v_model = True
    wait(lambda: red.record().pending is not None and red.record().pending.actions)
    assert red.record().pending.actions[0]["action"] == "culture_programme"
    assert "Total one-off cost this round: 0" not in text(box)  # the programme is priced
    console.open_window(300)
    wait(lambda: not one(box, "submit-btn").disabled, 5)
    click(box, "submit-btn")
    record = red.record()
    assert record.pending_status == "submitted" and record.pending.levers == {"empowerment": 0.85}
    wait(lambda: by_class(box, "locked-note"), 5)
    assert slider(box, "empowerment").disabled


def test_a_lever_out_of_range_is_refused_beside_it_and_nothing_is_stored(room, render):
    hub, created, console, seats, clock = room
    box = seat_page(render, seats["Blue"])
    hi = SPECS["service_staffing"].hi
    for bad in (hi + 1, "lots", None, float("nan")):
        move(box, "service_staffing", bad)
        said(box, "service_staffing", "from")
    assert seats["Blue"].record().pending is None
    now = next(c.value for c in seats["Blue"].menu().levers if c.name == "service_staffing")
    assert slider(box, "service_staffing").v_model == now  # the refused value is taken back
    move(box, "service_staffing", hi)
    assert not errors(box, "service_staffing")


def test_a_late_submission_is_refused_with_a_sentence(room, render):
    hub, created, console, seats, clock = room
    box = seat_page(render, seats["Green"])
    console.open_window(60)
    wait(lambda: not one(box, "submit-btn").disabled, 5)
    clock.advance(61)
    click(box, "submit-btn")  # the button still shown: the server decides
    said(box, "submit", "has closed (time ran out)")
    assert seats["Green"].record().pending_status != "submitted"


def test_two_browsers_of_one_team_submitting_at_once_one_is_told(room, render):
    hub, created, console, seats, clock = room
    token = hub.facilitator(created.code, created.key).team_link("Red")
    first = seat_page(render, hub.rejoin(created.code, token))
    second = seat_page(render, hub.rejoin(created.code, token))
    console.open_window()
    wait(lambda: not one(first, "submit-btn").disabled and not one(second, "submit-btn").disabled, 5)
    click(first, "submit-btn")
    click(second, "submit-btn")
    # the second is either refused and told, or was already woken by the first
    # submission and shows the round as submitted (no submit button left to press)
    told = errors(first, "submit") + errors(second, "submit")
    if told:
        assert len(told) == 1 and "already submitted" in told[0]
    else:
        wait(lambda: not by_class(second, "submit-btn"), 5)
    wait(lambda: not by_class(first, "submit-btn"), 5)
    assert seats["Red"].record().pending_status == "submitted"


def test_a_team_sees_its_rounds_and_its_rank_only_when_revealed(room, render):
    hub, created, console, seats, clock = room
    play(console, seats, [1], PLAN)
    box = seat_page(render, seats["Blue"])
    assert "Support staff on duty 0.7" in text(box)  # its decision of round 1, in the table
    assert not by_class(box, "rank-badge")
    console.show_ranks(True)
    wait(lambda: by_class(box, "rank-badge"), 5)
    rank = next(s.rank for s in console.leaderboard() if s.team == "Blue")
    assert one(box, "rank-badge").children[0] == f"Rank {rank} of 3"


def test_a_team_cannot_open_the_console_with_its_own_link(room, render):
    hub, created, console, seats, clock = room
    box = render(KeyForm(created.code, None))
    type_in(box, "console-key", seats["Red"].token)  # what a team holds
    click(box, "unlock-btn")
    said(box, "key", "wrong facilitator key")
    assert not by_class(box, "advance-btn")
    assert console_page.open_console(created.code, seats["Red"].token)[0] is None


# ------------------------------------------------------------------ the console
def test_the_console_runs_rounds_undoes_fires_and_reveals(room, render):
    hub, created, console, seats, clock = room
    box = render(ConsoleView(console))
    assert created.shown_code in text(box) and "<svg" in text(box)  # the code and its QR code
    click(box, "open-btn")
    assert console.status().window_open
    seats["Red"].submit({"empowerment": 0.9})
    wait(lambda: "1 of 3 teams have submitted" in text(box), 5)
    click(box, "advance-btn")
    wait(lambda: console.status().rounds_done == 1)
    wait(lambda: "class='leaderboard'" in text(box), 10)
    for measure in MEASURES:
        assert by_class(box, f"overlay-{measure}")
    click(box, "fire-btn")  # the default event, for every team, in round 2
    assert [e.round for e in console.report().events] == [2]
    wait(lambda: by_class(box, "undo-btn"), 5)
    click(box, "undo-btn")
    wait(lambda: by_class(box, "undo-yes"), 5)
    click(box, "undo-yes")
    wait(lambda: console.status().rounds_done == 0)
    assert seats["Red"].record().pending_status == "submitted"  # kept, locked
    reveal = one(box, "reveal-switch")
    reveal.v_model = True
    wait(lambda: console.status().ranks_shown, 5)


def test_projector_mode_shows_one_chart_at_a_time_in_large_type(room, render):
    hub, created, console, seats, clock = room
    play(console, seats, [1, 2], PLAN)
    box = render(ConsoleView(console))
    switch = next(w for w in walk(one(box, "projector-switch")) if hasattr(w, "v_model"))
    switch.v_model = True
    wait(lambda: by_class(box, "projector-pick"), 5)
    assert not by_class(box, "advance-btn") and not by_class(box, "teams-card")
    assert "class='leaderboard'" in text(box)
    pick = one(box, "projector-pick")
    pick.v_model = 1  # the first measure
    wait(lambda: by_class(box, "projector-chart"), 5)
    figure = console_page.measure_figure(
        console.report(), next(iter(MEASURES)), 760, console_page.PROJECTOR_FONT
    )
    assert figure.layout.font.size == console_page.PROJECTOR_FONT and len(figure.data) == 3


def test_the_export_zip_holds_every_file(room):
    import io
    import zipfile

    from workshop.export import FILES

    hub, created, console, seats, clock = room
    play(console, seats, [1], PLAN)
    names = zipfile.ZipFile(io.BytesIO(console_page.export_zip(console))).namelist()
    assert sorted(names) == sorted(FILES)


# ------------------------------------------------------------------ the observer
def test_an_observer_sees_the_room_and_the_leaderboard_once_revealed(room, render):
    hub, created, console, seats, clock = room
    play(console, seats, [1], PLAN)
    box = render(Watch(hub.observe(created.code)))
    assert "has not revealed" in text(box) and "Blue" in text(box)
    assert not by_class(box, "submit-btn") and not by_class(box, "advance-btn")
    console.show_ranks(True)
    wait(lambda: "class='leaderboard'" in text(box), 5)


def test_the_console_deletes_the_workshop_only_once_its_code_is_typed(room, render):
    hub, created, console, seats, clock = room
    play(console, seats, [1], PLAN)
    box = render(ConsoleView(console))
    type_in(box, "delete-code", "ABC-DEF")
    click(box, "delete-btn")
    said(box, "delete", f"Type the join code {created.shown_code}")
    assert [w.code for w in hub.workshops()] == [created.code]  # nothing deleted
    type_in(box, "delete-code", created.shown_code.lower())
    click(box, "delete-btn")
    assert hub.workshops() == []
    wait(lambda: "This workshop has been deleted." in text(box), 5)
