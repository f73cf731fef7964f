"""End-to-end: a workshop in headless Chromium. A facilitator (1920x1080) and three teams
(one on a phone, 390x844; two on laptops) play two rounds to a leaderboard through the
pages of one server; a team cannot reach the console; the server is killed with SIGKILL
mid-workshop, restarted, and every team, decision and score is found as before.
Screenshots of the console, a team on a phone and the debrief go to test-artifacts/."""

from __future__ import annotations

import os
import re
import signal
import sys
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.chromium import offline_guard
from tests.browser.conftest import free_port, start_server, stop_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from workshop_helpers import SMALL  # noqa: E402

from workshop import Hub, WorkshopConfig  # noqa: E402

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SIZES = {"console": (1920, 1080), "laptop": (1280, 800), "phone": (390, 844)}
WAIT = 60_000


@pytest.fixture()
def room(tmp_path):
    """A server on a free port with one small workshop in its data directory."""
    data = tmp_path / "data"
    hub = Hub(data)
    created = hub.create(WorkshopConfig("baseline", rounds=3, round_weeks=4, seed=3, params=SMALL))
    hub.close()
    port = free_port()
    log = tmp_path / "server.log"
    proc = start_server(port, log, data)
    state = {"proc": proc, "port": port, "data": data, "log": log, "created": created}
    yield state
    stop_server(state["proc"])


def open_page(browser, url: str, size: str, outside: list):
    ctx = browser.new_context(viewport=dict(zip(("width", "height"), SIZES[size], strict=True)))
    ctx.route("**/*", offline_guard(outside))
    page = ctx.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(url)
    return page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def base(room) -> str:
    return f"http://127.0.0.1:{room['port']}/workshop"


def unlock(page, key: str) -> None:
    page.locator(".console-key input").wait_for(timeout=WAIT)
    page.fill(".console-key input", key)
    page.click(".unlock-btn")
    page.locator(".join-code").wait_for(timeout=WAIT)


def join(page, name: str) -> None:
    page.locator(".team-name-input input").wait_for(timeout=WAIT)
    page.fill(".team-name-input input", name)
    page.click(".join-btn")
    page.locator(".team-name").wait_for(timeout=WAIT)


def slide(page, lever: str, share: float) -> None:
    """Drag a lever's slider to ``share`` of its width (a click on the track), again if the
    page moved under the click (a countdown appearing) and the lever did not change."""
    track = page.locator(f".lever-{lever} .v-slider")
    moved = page.locator(f".lever-{lever} .lever-label", has_text="(now")
    for _ in range(4):
        track.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        box = track.bounding_box()
        page.mouse.click(box["x"] + share * box["width"], box["y"] + box["height"] / 2)
        try:
            moved.wait_for(timeout=5_000)
            return
        except PlaywrightTimeout:
            continue
    moved.wait_for(timeout=WAIT)


def shows(page, text: str, timeout: float = WAIT) -> None:
    page.get_by_text(text, exact=False).first.wait_for(timeout=timeout)


def submit(page) -> None:
    page.locator(".submit-btn:not([disabled])").wait_for(timeout=WAIT)
    page.click(".submit-btn")
    page.locator(".locked-note").wait_for(timeout=WAIT)


def test_a_facilitator_and_three_teams_play_two_rounds_to_a_leaderboard(browser, room):
    created, outside = room["created"], []
    console = open_page(browser, f"{base(room)}/console?code={created.code}", "console", outside)
    unlock(console, created.key)
    teams = {
        "Red": open_page(browser, f"{base(room)}/team?code={created.code}", "phone", outside),
        "Blue": open_page(browser, f"{base(room)}/team?code={created.code}", "laptop", outside),
        "Green": open_page(browser, f"{base(room)}/team?code={created.code}", "laptop", outside),
    }
    for name, page in teams.items():
        join(page, name)
    shows(console, "0 of 3 teams have submitted")

    # a fourth browser takes a name already in use, and a team tries the console
    intruder = open_page(browser, f"{base(room)}/team?code={created.code}", "laptop", outside)
    intruder.locator(".team-name-input input").wait_for(timeout=WAIT)
    intruder.fill(".team-name-input input", "blue")
    intruder.click(".join-btn")
    assert "is taken" in intruder.locator(".error-name").inner_text(timeout=WAIT)
    teams["Blue"].goto(f"{base(room)}/console?code={created.code}")
    teams["Blue"].locator(".key-form").wait_for(timeout=WAIT)
    assert teams["Blue"].locator(".advance-btn").count() == 0
    teams["Blue"].goto(f"{base(room)}/team?code={created.code}")  # the cookie brings it back
    teams["Blue"].locator(".team-name").wait_for(timeout=WAIT)
    assert teams["Blue"].locator(".team-name").inner_text() == "Blue"

    # a teammate's phone comes in by the team link Green's page shows
    teams["Green"].get_by_text("Add a teammate's device").click()
    link = teams["Green"].locator(".team-link").inner_text(timeout=WAIT).split()[-1]
    teammate = open_page(browser, link, "phone", outside)
    teammate.locator(".team-name").wait_for(timeout=WAIT)
    assert teammate.locator(".team-name").inner_text() == "Green" and "#t=" not in teammate.url
    teammate.context.close()

    # round 1: Red moves a lever and buys a programme, Blue submits as is, Green does nothing
    console.click(".open-btn")
    for page in teams.values():
        page.locator(".countdown").wait_for(timeout=WAIT)
    assert re.search(r"\d:\d\d left", teams["Red"].locator(".countdown").inner_text())
    teams["Red"].locator(".submit-btn:not([disabled])").wait_for(timeout=WAIT)
    slide(teams["Red"], "empowerment", 0.95)
    teams["Red"].locator(".take-culture_programme").click()
    teams["Red"].locator(".programme-departments").wait_for(timeout=WAIT)
    submit(teams["Red"])
    submit(teams["Blue"])
    shows(console, "2 of 3 teams have submitted")
    report = Hub(room["data"]).report(created.code)
    red = report.team("Red").pending
    assert red.levers["empowerment"] > 0.8 and red.actions[0]["action"] == "culture_programme"
    console.click(".advance-btn")
    shows(console, "1 of 3 rounds played")

    # round 2: everyone submits; then the leaderboard is revealed
    console.click(".open-btn")
    teams["Green"].locator(".submit-btn:not([disabled])").wait_for(timeout=WAIT)
    slide(teams["Green"], "service_staffing", 0.9)
    for page in teams.values():
        submit(page)
    shows(console, "3 of 3 teams have submitted")
    console.click(".advance-btn")
    shows(console, "2 of 3 rounds played")
    console.locator(".reveal-switch input").check(force=True)
    for page in teams.values():
        page.locator(".rank-badge").wait_for(timeout=WAIT)
        assert re.fullmatch(r"Rank [123] of 3", page.locator(".rank-badge").inner_text())
    rows = console.locator("table.leaderboard tbody tr")
    assert rows.count() == 3
    report = Hub(room["data"]).report(created.code)
    assert [s.team for s in report.leaderboard()] == [
        rows.nth(i).locator("td").nth(1).inner_text() for i in range(3)
    ]
    assert (
        report.team("Green").rounds[1].status == "carried"
        and report.team("Green").rounds[2].status == "submitted"
    )

    # pictures: the console, a team on a phone, the debrief
    console.wait_for_timeout(800)
    shot(console, "workshop-console-1920x1080")
    console.locator(".leaderboard-card").scroll_into_view_if_needed()
    console.wait_for_timeout(500)
    shot(console, "workshop-console-leaderboard-1920x1080")
    teams["Red"].locator(".team-head").scroll_into_view_if_needed()
    shot(teams["Red"], "workshop-team-phone-390x844")
    teams["Red"].locator(".decisions").scroll_into_view_if_needed()
    shot(teams["Red"], "workshop-team-phone-decisions-390x844")
    debrief = console.context.new_page()
    debrief.goto(f"{base(room)}/debrief?code={created.code}")
    debrief.get_by_text("Final standings").wait_for(timeout=WAIT)
    debrief.wait_for_timeout(1000)
    shot(debrief, "workshop-debrief")
    width = teams["Red"].evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, "the team page scrolls sideways on a phone"
    for page in (console, *teams.values()):
        assert page.locator(".v-app-bar__nav-icon").count() == 0, "a menu icon that opens nothing"
        assert "CX Culture Lab workshop" in page.locator(".v-toolbar__title").inner_text()
        assert not page.errors, page.errors
    assert not outside, outside


def test_the_debrief_is_the_facilitators_only(browser, room):
    created = room["created"]
    url = f"{base(room)}/debrief?code={created.code}"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=10)
    assert refused.value.code == 403


def test_a_server_killed_mid_workshop_comes_back_with_everything(browser, room):
    """SIGKILL while a round is being decided (one team submitted, one drafted), restart on the
    same data: the pages show every team, decision and score as before, and play goes on."""
    created, outside = room["created"], []
    console = open_page(browser, f"{base(room)}/console?code={created.code}", "console", outside)
    unlock(console, created.key)
    teams = {
        name: open_page(browser, f"{base(room)}/team?code={created.code}", "laptop", outside)
        for name in ("Red", "Blue", "Green")
    }
    for name, page in teams.items():
        join(page, name)
    console.click(".open-btn")
    teams["Red"].locator(".submit-btn:not([disabled])").wait_for(timeout=WAIT)
    slide(teams["Red"], "leadership_commitment", 0.9)
    for page in teams.values():
        submit(page)
    shows(console, "3 of 3 teams have submitted")
    console.click(".advance-btn")
    shows(console, "1 of 3 rounds played")
    console.click(".open-btn")
    teams["Blue"].locator(".submit-btn:not([disabled])").wait_for(timeout=WAIT)
    slide(teams["Blue"], "employee_care", 0.9)  # a draft
    submit(teams["Green"])
    shows(console, "1 of 3 teams have submitted")
    before = Hub(room["data"]).report(created.code)
    board_before = console.locator("table.leaderboard").inner_text()
    teams_before = console.locator("table.teams-table").inner_text()
    rounds_before = {name: page.locator("table.rounds-table").inner_text() for name, page in teams.items()}
    draft_before = teams["Blue"].locator(".lever-employee_care .lever-label").inner_text()

    room["proc"].send_signal(signal.SIGKILL)
    room["proc"].wait(timeout=10)
    room["proc"] = start_server(room["port"], room["log"], room["data"])

    after = Hub(room["data"]).report(created.code)
    assert [(t.name, t.rounds, t.pending, t.pending_status) for t in after.teams] == [
        (t.name, t.rounds, t.pending, t.pending_status) for t in before.teams
    ]
    console.reload()  # the key cookie opens the console again without asking
    console.locator("table.leaderboard").wait_for(timeout=WAIT)
    assert console.locator("table.leaderboard").inner_text() == board_before
    assert console.locator("table.teams-table").inner_text() == teams_before
    for name, page in teams.items():
        page.reload()  # the team's cookie brings it back to its own firm
        page.locator(".team-name").wait_for(timeout=WAIT)
        assert page.locator(".team-name").inner_text() == name
        assert page.locator("table.rounds-table").inner_text() == rounds_before[name]
    teams["Green"].locator(".locked-note").wait_for(timeout=WAIT)
    assert teams["Blue"].locator(".lever-employee_care .lever-label").inner_text() == draft_before
    assert "Care for employees" in teams_before
    submit(teams["Blue"])
    console.click(".advance-btn")
    shows(console, "2 of 3 rounds played")
    assert (
        Hub(room["data"]).report(created.code).team("Blue").rounds[2].decision.levers["employee_care"] > 0.8
    )
    assert not outside, outside


os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
