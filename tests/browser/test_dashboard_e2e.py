"""End-to-end: the dashboard in headless Chromium, as a facilitator and as a hostile participant.

One test per point of issue 13 (interactive charts, levers traced, the horizon,
rewind and branch, reload, phones, plain words and the space bar, exports), and
the values a modified page sends over the websocket (a path as scenario, a lever
out of range, a huge world, an unknown department, a made-up address). Screenshots
at 1920x1080, 1280x800 and 390x844 go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pandas as pd
import pytest

from model import SPECS, load_scenario
from viz import recipe

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SIZES = {"desktop": (1920, 1080), "laptop": (1280, 800), "phone": (390, 844)}

# Sends ``value`` from the page for the control under ``selector``, as a modified page
# would: the widget's v-model callback (what the control calls when a person changes it),
# which syncs the value to the server over the websocket.
SEND = """([selector, value]) => {
  const root = document.querySelector(selector);
  const seen = new Set();
  for (const el of [root, ...root.querySelectorAll('*')]) {
    for (let vm = el.__vue__, i = 0; vm && i < 4; vm = vm.$parent, i++) {
      if (seen.has(vm)) continue;
      seen.add(vm);
      const model = vm.$vnode && vm.$vnode.data && vm.$vnode.data.model;
      if (model && model.callback) { model.callback(value); return true; }
    }
  }
  return false;
}"""


def week(page) -> int:
    return int(re.search(r"Week (\d+)", page.locator(".week-counter").inner_text()).group(1))


def wait_week(page, at_least: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if week(page) >= at_least:
            return week(page)
        time.sleep(0.1)
    raise AssertionError(f"the page never reached week {at_least} (at {week(page)})")


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def step(page, times: int) -> None:
    for _ in range(times):
        before = week(page)
        page.locator(".step-btn").click()
        page.wait_for_function(
            f"() => !document.querySelector('.week-counter').innerText.startsWith('Week {before} ')"
        )


def send(page, selector: str, value) -> None:
    page.locator(selector).first.wait_for()
    assert page.evaluate(SEND, [selector, value]), f"no control under {selector}"


def open_page(browser, url: str, size: str = "desktop"):
    from tests.browser.chromium import offline_guard

    w, h = SIZES[size]
    ctx = browser.new_context(viewport={"width": w, "height": h}, accept_downloads=True)
    outside: list[str] = []
    ctx.route("**/*", offline_guard(outside))
    pg = ctx.new_page()
    pg.outside_requests = outside
    pg.goto(url)
    pg.wait_for_selector(".week-counter", timeout=60_000)
    pg.wait_for_selector(".chart-culture .js-plotly-plot", timeout=60_000)
    return ctx, pg


def address(server_url: str, **recipe_fields) -> str:
    data = {"seed": 1, "week": 0, "runs": [{"scenario": "baseline"}], **recipe_fields}
    return server_url + recipe.query(data)


def download(page, name: str) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.get_by_role("button", name=name).click()
    with open(info.value.path(), "rb") as f:
        return info.value.suggested_filename, f.read()


def csv_table(page) -> pd.DataFrame:
    _, data = download(page, "Data (CSV)")
    return pd.read_csv(io.BytesIO(data))


# ------------------------------------------------------------------ 1. interactive charts
def test_charts_are_interactive_readable_and_offline(page):
    step(page, 5)
    page.wait_for_timeout(500)
    tick = page.evaluate(
        "() => getComputedStyle(document.querySelector('.chart-funnel .xtick text')).fontSize"
    )
    assert float(tick.rstrip("px")) >= 14, f"tick labels of {tick} at 1920x1080"
    plot = page.locator(".chart-funnel .nsewdrag").first.bounding_box()
    page.mouse.move(plot["x"] + 2, plot["y"] + plot["height"] / 2)
    page.wait_for_selector(
        ".chart-funnel .hoverlayer .legend, .chart-funnel .hoverlayer .hovertext", timeout=10_000
    )
    legend = page.locator(".chart-funnel .legend .traces").first
    legend.click()  # hides the line
    page.wait_for_function(
        "() => [...document.querySelectorAll('.chart-funnel .legend .traces')].some(t => getComputedStyle(t).opacity < 1)"
    )
    before = page.locator(".chart-funnel .legend .traces").first.evaluate("e => getComputedStyle(e).opacity")
    step(page, 1)  # new data: the hidden line stays hidden
    assert (
        page.locator(".chart-funnel .legend .traces").first.evaluate("e => getComputedStyle(e).opacity")
        == before
    )
    assert page.outside_requests == [], "the page tried to reach the internet"
    shot(page, "01-desktop-overview")


# ------------------------------------------------------------------ 2. every lever traced
def test_a_lever_move_is_logged_marked_titled_and_exported(page):
    step(page, 3)
    slider = page.locator(".lever-service_staffing [role=slider]")
    slider.focus()
    slider.press("Home")  # the lowest staffing
    page.wait_for_selector(".change-log:has-text('Week 3: Support staff on duty')")
    page.wait_for_selector(".chart-funnel .annotation-text:has-text('Support staff on duty')")
    assert "support staff on duty 0.1" in page.locator(".run-titles").inner_text()
    step(page, 2)
    df = csv_table(page)
    assert (df.loc[df.week <= 3, "lever_service_staffing"] == SPECS["service_staffing"].default).all()
    assert (df.loc[df.week > 3, "lever_service_staffing"] == SPECS["service_staffing"].lo).all()
    assert df.loc[df.week == 3, "lever_changes"].item().startswith("service_staffing:")


# ------------------------------------------------------------------ 3. the horizon holds
def test_play_stops_at_the_horizon_and_extend_goes_on(browser, server_url):
    ctx, page = open_page(browser, address(server_url, horizon=12))
    page.locator(".play-btn").click()
    page.wait_for_selector(".extend-btn", timeout=60_000)
    assert week(page) == 12 and page.locator(".step-btn").is_disabled()
    page.locator(".extend-btn").click()
    page.wait_for_selector(".week-counter:has-text('of 64')")
    step(page, 1)
    assert week(page) == 13
    ctx.close()


# ------------------------------------------------------------------ 4 and 5. rewind, branch, reload
def test_rewind_branch_and_reload_restore_the_run(browser, server_url):
    ctx, page = open_page(browser, server_url)
    step(page, 6)
    page.locator(".event-layoffs").click()
    page.wait_for_selector(".change-log:has-text('Week 6: Layoffs')")
    step(page, 4)
    nps = page.locator(".kpi-nps").inner_text()
    page.get_by_text("Go back or branch").click()
    send(page, ".timeline", 6)
    page.wait_for_selector(".rewind-btn:has-text('week 6')")
    page.locator(".branch-btn").click()  # what if there had been no layoffs?
    page.wait_for_selector(".run-titles:has-text('branch of A at week 6')")
    assert week(page) == 6
    step(page, 4)
    assert page.locator(".kpi-nps").count() == 2
    assert page.locator(".kpi-nps.run-A").inner_text() == f"A {nps}", (
        "A replays its layoffs to the same place"
    )
    page.wait_for_timeout(800)  # the address follows the run
    shot(page, "04-desktop-branch")
    url = page.url
    assert "?run=" in url
    page.reload()
    page.wait_for_selector(".run-titles:has-text('branch of A at week 6')", timeout=60_000)
    assert week(page) == 10 and page.locator(".kpi-nps.run-A").inner_text() == f"A {nps}"
    page.locator(".scenario-a").click()  # back to run A alone for the next lesson
    ctx.close()


# ------------------------------------------------------------------ 6. phones
def test_on_a_phone_the_drawer_starts_closed_and_play_is_reachable(browser, server_url):
    ctx, page = open_page(browser, server_url, "phone")
    page.wait_for_timeout(1000)
    drawer = page.locator(".v-navigation-drawer").first.bounding_box()
    assert drawer is None or drawer["x"] + drawer["width"] <= 1, "the drawer covers the page"
    assert page.locator(".play-btn").is_visible() and page.locator(".step-btn").is_visible()
    chart = page.locator(".chart-culture").bounding_box()
    assert chart["width"] >= 0.9 * SIZES["phone"][0] - 24, "charts are full width"
    tick = page.evaluate(
        "() => getComputedStyle(document.querySelector('.chart-culture .xtick text')).fontSize"
    )
    assert float(tick.rstrip("px")) >= 12
    step(page, 3)
    shot(page, "06-phone-overview")
    page.locator(".v-app-bar__nav-icon, .v-toolbar .v-btn").first.click()  # the toggle opens it
    page.wait_for_timeout(800)
    shot(page, "07-phone-controls")
    ctx.close()


# ------------------------------------------------------------------ 7. words and the space bar
def test_plain_words_errors_beside_fields_and_the_space_bar(page):
    label = page.locator(".lever-leadership_commitment").inner_text()
    spec = SPECS["leadership_commitment"]
    assert spec.label in label and spec.ends[0] in label and spec.ends[1] in label
    page.locator(".event-options-service_breakdown").click()
    weeks = page.locator(".option-service_breakdown-weeks input")
    weeks.fill("600")
    page.locator(".event-service_breakdown").click()
    error = page.locator(".error-event-service_breakdown")
    error.wait_for()
    assert error.inner_text() == "Weeks until repaired must be a whole number from 1 to 520."
    assert page.locator(".change-log").count() == 0
    page.locator("body").click(position={"x": 900, "y": 700})
    page.keyboard.press(" ")
    page.wait_for_selector(".play-btn:has-text('Pause')")
    wait_week(page, 2)
    page.keyboard.press(" ")
    page.wait_for_selector(".play-btn:has-text('Play')")


# ------------------------------------------------------------------ 8. exports
def test_exports_are_rounded_titled_and_summarised(page):
    step(page, 4)
    page.locator(".event-new_ceo").click()
    page.wait_for_selector(".change-log")
    df = csv_table(page)
    assert {"title", "overrides", "lever_changes", "lever_leadership_commitment"} <= set(df.columns)
    assert df["satisfaction_mean"].map(lambda x: len(str(x).split(".")[-1]) <= 4).all()
    name, html = download(page, "Summary (HTML)")
    assert name.endswith(".html") and b"Key figures" in html and b"New CEO" in html
    page.locator(".chart-culture").hover()
    with page.expect_download() as info:
        page.locator(".chart-culture .modebar-btn[data-title='Download plot as a PNG']").click()
    assert info.value.suggested_filename == "culture.png"
    with open(info.value.path(), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------ screenshots at three sizes
@pytest.mark.parametrize("size", ["desktop", "laptop"])
def test_compare_screenshots(browser, server_url, size):
    data = {
        "seed": 1,
        "week": 104,
        "runs": [
            {"scenario": "cost_cutter"},
            {
                "scenario": "customer_centric",
                "actions": [[52, "event", "culture_programme", {"departments": ["service"]}]],
            },
        ],
    }
    ctx, page = open_page(browser, server_url + recipe.query(data), size)
    page.wait_for_timeout(1500)
    shot(page, f"02-{size}-compare-overview")
    if size == "desktop":
        for tab, key in (("Organisation", "org"), ("Service and money", "service")):
            page.get_by_role("tab", name=tab).click()
            page.wait_for_selector(f".chart-{key} .js-plotly-plot")
            page.wait_for_timeout(1200)
            shot(page, f"03-desktop-compare-{key}")
    ctx.close()


# ------------------------------------------------------------------ a hostile participant
def test_values_from_a_modified_page_are_refused_beside_their_field(page):
    """Values sent over the websocket as a modified page would: each is refused with one
    sentence beside its field, and the run is unchanged."""
    for selector, value, field, words in (
        (".scenario-a", "../../../../tmp/x/evil", ".error-scenario", "bundled scenarios"),
        (".scenario-b", "/etc/passwd.toml", ".error-scenario", "bundled scenarios"),
        (".seed-input", "-5", ".error-size", "The seed must be a whole number"),
    ):
        send(page, selector, value)
        if selector == ".seed-input":
            page.locator(".reset-btn").click()
        page.locator(f"{field}:has-text('{words}')").wait_for()
    send(page, ".seed-input", "1")
    # A lever far out of range: refused by the server. (Vuetify's own slider then clamps
    # the value it shows and sends that, a valid move: the lever never leaves its range.)
    send(page, ".lever-empowerment", 1e9)
    page.wait_for_timeout(1000)
    shown = float(page.locator(".lever-empowerment .lever-label").inner_text().rsplit(":", 1)[1])
    assert SPECS["empowerment"].lo <= shown <= SPECS["empowerment"].hi
    page.locator(".event-options-culture_programme").click()
    send(page, ".option-culture_programme-departments", ["nowhere"])
    page.locator(".event-culture_programme").click()
    page.locator(".error-event-culture_programme:has-text('from the list')").wait_for()
    send(page, ".size-market_size", "10000000")
    page.locator(".reset-btn").click()
    page.locator(".error-size:has-text('on this server')").wait_for()
    body = page.locator("body").inner_text()
    assert "Traceback" not in body
    assert page.locator(".run-titles").inner_text().startswith(load_scenario("baseline").title)
    assert page.locator(".change-log:has-text('Culture programme')").count() == 0


def test_a_made_up_address_starts_afresh_with_one_sentence(browser, server_url):
    bad = {"seed": 1, "week": 3, "runs": [{"scenario": "baseline", "actions": [[1, "event", "meteor", {}]]}]}
    for url in (server_url + recipe.query(bad), address(server_url, size={"market_size": 10**7})):
        ctx, page = open_page(browser, url)
        assert page.locator(".address-error").inner_text().strip() == recipe.BROKEN
        assert week(page) == 0
        ctx.close()
