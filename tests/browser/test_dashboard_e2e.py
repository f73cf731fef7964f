"""End-to-end: the dashboard in headless Chromium, as a workshop facilitator uses it.

Screenshots of the main views go to test-artifacts/.
"""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pandas as pd
import pytest

from model import available, load_scenario

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def week(page) -> int:
    """The week the page shows."""
    return int(re.search(r"Week (\d+)", page.locator(".week-counter").inner_text()).group(1))


def wait_week(page, at_least: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        w = week(page)
        if w >= at_least:
            return w
        time.sleep(0.1)
    raise AssertionError(f"the page never reached week {at_least} (at {week(page)})")


def shot(page, name: str) -> Path:
    """Save a screenshot of the page to test-artifacts/ (gitignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def click_play(page) -> None:
    page.locator(".play-btn").click()


def pause(page) -> int:
    """Pause and return the week the page settles on."""
    page.locator(".play-btn").click()
    page.wait_for_selector(".play-btn:has-text('Play')")
    time.sleep(0.5)
    return week(page)


def pick(page, select_class: str, text: str) -> None:
    """Choose ``text`` in the Vuetify select with class ``select_class``."""
    page.locator(f".{select_class}").click()
    page.locator(".v-menu__content.menuable__content__active .v-list-item", has_text=text).first.click()


def step(page, times: int) -> None:
    for _ in range(times):
        before = week(page)
        page.locator(".step-btn").click()
        page.wait_for_function(
            f"() => !document.querySelector('.week-counter').innerText.startsWith('Week {before} ')"
        )


def download_csv(page) -> pd.DataFrame:
    with page.expect_download() as info:
        page.get_by_role("button", name="Data (CSV)").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    return pd.read_csv(io.StringIO(open(download.path(), encoding="utf-8").read()))


def test_page_loads_offline_with_all_controls(page):
    assert week(page) == 0
    for label in ("Play", "Step", "Reset", "New CEO", "Culture programme", "Layoffs", "Data (CSV)"):
        assert page.get_by_text(label, exact=False).first.is_visible()
    page.wait_for_selector(".chart-culture img")
    assert page.outside_requests == [], "the page tried to reach the internet"
    assert page.failed_responses == [], "assets missing: run python -m viz.assets"
    shot(page, "01-start")


def test_play_advances_at_least_ten_weeks_per_second(page):
    click_play(page)
    w0 = wait_week(page, 1)
    t0 = time.monotonic()
    time.sleep(3)
    w1 = week(page)
    rate = (w1 - w0) / (time.monotonic() - t0)
    last = pause(page)
    assert last >= w1
    # The page shows what was drawn; on a shared 2-core CI box allow some slack below 10.
    assert rate >= 7, f"only {rate:.1f} weeks/s shown"
    shot(page, "02-playing-overview")


def test_lever_moved_mid_run_changes_the_outcome(page):
    # Compare the baseline with itself: identical until the lever moves on B only.
    pick(page, "scenario-b", load_scenario("baseline").title)
    page.wait_for_selector(".run-titles:has-text('B:')")
    page.locator(".target-toggle button").filter(has_text=re.compile(r"^\s*B\s*$")).click()
    step(page, 5)
    changed_at = week(page)
    slider = page.locator(".lever-service_staffing [role=slider]")
    slider.focus()
    slider.press("Home")  # the lowest staffing
    page.wait_for_timeout(500)
    step(page, 5)
    df = download_csv(page)
    a, b = df[df.run == "A"].set_index("week"), df[df.run == "B"].set_index("week")
    assert len(a) == len(b) == changed_at + 6
    before = slice(0, changed_at)
    pd.testing.assert_frame_equal(a.loc[before].drop(columns="run"), b.loc[before].drop(columns="run"))
    after = a.index > changed_at
    assert b.loc[after, "agents"].mean() < a.loc[after, "agents"].mean()
    assert b.loc[after, "speed_of_answer_seconds"].mean() > a.loc[after, "speed_of_answer_seconds"].mean()
    shot(page, "03-lever-mid-run")


def test_preset_loads_with_its_description(page):
    name = next(n for n in available() if n != "baseline")
    sc = load_scenario(name)
    step(page, 2)
    pick(page, "scenario-a", sc.title)
    page.wait_for_selector(f".run-titles:has-text('{sc.title}')")
    assert week(page) == 0
    assert page.get_by_text(sc.description[:60]).first.is_visible()


def test_event_fires_and_is_marked(page):
    step(page, 3)
    page.locator(".event-new_ceo").click()
    page.wait_for_selector(".event-log:has-text('Week 3: New CEO')")
    step(page, 2)
    df = download_csv(page)
    assert df.loc[df.week == 3, "events"].iloc[0] == "new_ceo"
    click_play(page)
    wait_week(page, 40)
    pause(page)
    shot(page, "04-event-marked")


def test_compare_mode_shows_both_runs(page):
    titles = {n: load_scenario(n).title for n in available()}
    b = "customer_centric" if "customer_centric" in titles else next(n for n in titles if n != "baseline")
    pick(page, "scenario-b", titles[b])
    page.wait_for_selector(f".run-titles:has-text('B: {titles[b]}')")
    assert page.locator(".kpi-nps").count() == 2  # one value per run
    click_play(page)
    wait_week(page, 100)
    pause(page)
    shot(page, "05-compare-overview")
    page.get_by_role("tab", name="Organisation").click()
    page.wait_for_selector(".chart-org img")
    page.wait_for_timeout(800)
    shot(page, "06-compare-org-chart")
    page.get_by_role("tab", name="Customers").click()
    page.wait_for_selector(".chart-network img")
    page.wait_for_timeout(800)
    shot(page, "07-compare-customers")
    page.get_by_role("tab", name="Service and money").click()
    page.wait_for_selector(".chart-service img")
    page.wait_for_timeout(800)
    shot(page, "08-compare-service-money")
    df = download_csv(page)
    assert set(df.run) == {"A", "B"}


def test_chart_png_downloads(page):
    step(page, 2)
    with page.expect_download() as info:
        page.locator(".chart-culture").get_by_role("button", name="PNG").click()
    with open(info.value.path(), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_event_fires_with_the_options_chosen(page):
    step(page, 2)
    page.locator(".event-options-service_breakdown").click()
    weeks = page.locator(".option-service_breakdown-weeks input")
    weeks.fill("8")
    weeks.press("Tab")
    page.wait_for_selector(".event-help-service_breakdown:has-text('fail for 8 weeks')")
    page.locator(".event-service_breakdown").click()
    page.wait_for_selector(".event-log:has-text('Week 2: Service breakdown (8 weeks)')")
    weeks.fill("9999")  # out of range: a message, nothing fired
    weeks.press("Tab")
    page.locator(".event-service_breakdown").click()
    page.wait_for_selector(".error-msg:has-text('weeks')")
    assert page.locator(".event-log").count() == 1
    step(page, 1)
    df = download_csv(page)
    assert df.loc[df.week == 2, "events"].iloc[0] == "service_breakdown(weeks=8)"
