"""The debrief HTML opened from disk in headless Chromium: every chart draws, nothing is fetched."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from workshop_helpers import PLAN, new_room, play  # noqa: E402

pytestmark = pytest.mark.browser


def test_the_debrief_draws_offline_and_prints(browser, tmp_path):
    hub, created, console, seats = new_room(tmp_path / "data")
    play(console, seats, range(1, 4), PLAN)
    page_file = tmp_path / "debrief.html"
    page_file.write_text(console.debrief(), encoding="utf-8")
    ctx = browser.new_context(viewport={"width": 1200, "height": 900})
    outside, errors = [], []
    ctx.route(
        "**/*",
        lambda route: (
            (outside.append(route.request.url), route.abort())
            if not route.request.url.startswith("file:")
            else route.continue_()
        ),
    )
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_file.as_uri())
    charts = page.locator(".chart .plotly-graph-div").count()
    assert charts >= 9
    drawn = "[...document.querySelectorAll('.chart .plotly-graph-div')].filter(d => d.querySelector('.scatterlayer .trace')).length"
    page.wait_for_function(f"{drawn} === {charts}", timeout=30_000)  # every chart has drawn its lines
    assert not errors and not outside
    pdf = page.pdf(format="A4")
    assert (
        pdf[:5] == b"%PDF-"
        and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page/") + pdf.count(b"/Type /Page ") >= 3
    )
    ctx.close()


def test_the_debrief_fits_a_phone_without_sideways_scrolling(browser, tmp_path):
    hub, created, console, seats = new_room(tmp_path / "data")
    play(console, seats, range(1, 4), PLAN)
    page_file = tmp_path / "debrief.html"
    page_file.write_text(console.debrief(), encoding="utf-8")
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    ctx.route(
        "**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort()
    )
    page = ctx.new_page()
    page.goto(page_file.as_uri())
    page.wait_for_function("document.querySelectorAll('.chart .plotly-graph-div .main-svg').length > 0")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px phone"
    # wide tables scroll inside their own box, and every one is reachable
    assert page.locator(".wide table").count() >= 3
    ctx.close()
